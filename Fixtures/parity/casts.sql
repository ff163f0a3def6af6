-- Casts (after t/002_pg_dump.pl "CREATE CAST ..." cases): with a function, without one
-- (binary coercible), WITH INOUT, implicit and assignment, with a comment.
CREATE DOMAIN my_int AS integer;
CREATE TYPE mood AS ENUM ('calm', 'tense');
CREATE FUNCTION int_to_mood(integer) RETURNS mood LANGUAGE sql IMMUTABLE AS $$SELECT CASE WHEN $1 > 0 THEN 'tense'::mood ELSE 'calm'::mood END$$;
CREATE CAST (integer AS mood) WITH FUNCTION int_to_mood(integer) AS ASSIGNMENT;
CREATE CAST (mood AS text) WITH INOUT AS IMPLICIT;
CREATE TYPE score AS (points integer);
CREATE FUNCTION score_of(integer) RETURNS score LANGUAGE sql IMMUTABLE AS 'SELECT ROW($1)::score';
CREATE CAST (integer AS score) WITH FUNCTION score_of(integer);
COMMENT ON CAST (integer AS score) IS 'points become a score';
CREATE TABLE moods (m mood DEFAULT 1);
INSERT INTO moods VALUES (DEFAULT), (0::mood);

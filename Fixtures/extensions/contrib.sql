-- The contrib extensions PostgreSQL ships, each used the way a room's database would use it:
-- columns of their types, indexes with their GiST/GIN operator classes, an exclusion
-- constraint, views over their functions, a text search configuration over unaccent, and a
-- postgres_fdw server, user mapping and foreign table.
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION ltree;
CREATE EXTENSION btree_gist;
CREATE EXTENSION "uuid-ossp";
CREATE EXTENSION intarray;
CREATE EXTENSION cube;
CREATE EXTENSION earthdistance;
CREATE EXTENSION tablefunc;
CREATE EXTENSION unaccent;
CREATE EXTENSION postgres_fdw;

CREATE TABLE props (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    email citext UNIQUE,
    name text NOT NULL,
    attrs hstore,
    path ltree,
    tags int[],
    box cube,
    home earth,
    lat float8,
    lon float8,
    room int,
    booked tsrange,
    CONSTRAINT no_double_booking EXCLUDE USING gist (room WITH =, booked WITH &&)
);
CREATE INDEX props_attrs ON props USING gin (attrs);
CREATE INDEX props_attrs_gist ON props USING gist (attrs gist_hstore_ops);
CREATE INDEX props_name_trgm ON props USING gin (name gin_trgm_ops);
CREATE INDEX props_name_trgm_gist ON props USING gist (name gist_trgm_ops);
CREATE INDEX props_path ON props USING gist (path);
CREATE INDEX props_tags ON props USING gin (tags gin__int_ops);
CREATE INDEX props_tags_gist ON props USING gist (tags gist__int_ops);
CREATE INDEX props_box ON props USING gist (box);
CREATE INDEX props_room ON props USING gist (room);
INSERT INTO props (id, email, name, attrs, path, tags, box, home, lat, lon, room, booked) VALUES
    ('00000000-0000-0000-0000-000000000001', 'Door@Example.org', 'Pharaoh''s door', 'colour=>gold, weight=>"12 kg"', 'tomb.entrance.door', '{1,2,3}',
     cube(array[0, 0], array[1, 2]), ll_to_earth(52.5, 13.4), 52.5, 13.4, 1, '[2024-01-01 10:00, 2024-01-01 11:00)'),
    ('00000000-0000-0000-0000-000000000002', 'key@example.org', 'Golden key', 'colour=>gold', 'tomb.chamber.chest', '{3,4}',
     cube(1.5), ll_to_earth(48.1, 11.6), 48.1, 11.6, 1, '[2024-01-01 11:00, 2024-01-01 12:00)');
INSERT INTO props (email, name) VALUES (NULL, 'random id');

CREATE VIEW prop_distances AS
    SELECT a.name AS from_prop, b.name AS to_prop, round(earth_distance(a.home, b.home)) AS meters,
           similarity(a.name, b.name) AS name_similarity
    FROM props a JOIN props b ON a.id < b.id;
CREATE VIEW colour_pivot AS
    SELECT * FROM crosstab('SELECT name, key, value FROM props, each(attrs) ORDER BY 1, 2') AS ct(name text, colour text, weight text);
CREATE TEXT SEARCH CONFIGURATION room_unaccent (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION room_unaccent ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

CREATE SERVER scoreboard FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'scoreboard.invalid', dbname 'scores', fetch_size '500');
CREATE USER MAPPING FOR CURRENT_USER SERVER scoreboard OPTIONS (user 'reader', password 'not-a-secret');
CREATE FOREIGN TABLE remote_scores (id int OPTIONS (column_name 'score_id') NOT NULL, points int)
    SERVER scoreboard OPTIONS (schema_name 'public', table_name 'scores');

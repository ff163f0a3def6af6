-- Per-column compression on a table and on a materialized view.
CREATE TABLE compressed (id int, body text, note text);
ALTER TABLE compressed ALTER COLUMN body SET COMPRESSION pglz;
INSERT INTO compressed VALUES (1, repeat('abc', 1000), 'n');
CREATE MATERIALIZED VIEW compressed_mv AS SELECT id, body FROM compressed;
ALTER MATERIALIZED VIEW compressed_mv ALTER COLUMN body SET COMPRESSION pglz;

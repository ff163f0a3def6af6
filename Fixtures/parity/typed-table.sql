-- Typed tables (CREATE TABLE ... OF type): plain, with column options (NOT NULL, DEFAULT), a
-- check, a key, a comment, and a partitioned one with a partition.
CREATE TYPE pair AS (a int, b text);
CREATE TABLE typed_plain OF pair;
CREATE TABLE typed_options OF pair (a WITH OPTIONS NOT NULL, b WITH OPTIONS DEFAULT 'z', CHECK (a > 0), PRIMARY KEY (a));
COMMENT ON TABLE typed_options IS 'a typed table';
CREATE SCHEMA "Typed";
CREATE TYPE "Typed".reading AS (at date, value numeric);
CREATE TABLE "Typed".readings OF "Typed".reading (at WITH OPTIONS NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE "Typed".readings_2024 PARTITION OF "Typed".readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO typed_plain VALUES (1, 'x'), (NULL, NULL);
INSERT INTO typed_options (a) VALUES (1), (2);
INSERT INTO "Typed".readings VALUES ('2024-02-02', 1.5);

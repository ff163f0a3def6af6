-- Foreign data wrappers, servers, user mappings and foreign tables, with the built-in
-- validator (contrib's postgres_fdw is covered by the contrib round trip): options, comments,
-- grants, a foreign table with column options, defaults, checks, one inheriting, one a partition.
CREATE FOREIGN DATA WRAPPER snap_plain OPTIONS (debug 'true', "Mixed Case" 'x');
COMMENT ON FOREIGN DATA WRAPPER snap_plain IS 'does nothing';
CREATE FOREIGN DATA WRAPPER "Snap Validated" VALIDATOR pg_catalog.postgresql_fdw_validator;
GRANT USAGE ON FOREIGN DATA WRAPPER "Snap Validated" TO snap_ks_reader;
CREATE SERVER snap_remote TYPE 'pg' VERSION '15' FOREIGN DATA WRAPPER "Snap Validated"
    OPTIONS (host 'db.example', dbname 'escape rooms', port '5433');
COMMENT ON SERVER snap_remote IS 'the scoreboard';
GRANT USAGE ON FOREIGN SERVER snap_remote TO snap_ks_reader WITH GRANT OPTION;
CREATE SERVER snap_local FOREIGN DATA WRAPPER snap_plain;
CREATE USER MAPPING FOR PUBLIC SERVER snap_local;
CREATE USER MAPPING FOR snap_ks_reader SERVER snap_remote OPTIONS (user 'reader', password 'it''s secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER snap_remote OPTIONS (user 'me');

CREATE SCHEMA remote;
CREATE FOREIGN TABLE remote.scores (
    id int OPTIONS (column_name 'score_id') NOT NULL,
    player text COLLATE "C" DEFAULT 'anonymous',
    points int CHECK (points >= 0),
    "Played At" timestamptz
) SERVER snap_local OPTIONS (schema_name 'public', table_name 'scores');
ALTER FOREIGN TABLE remote.scores ALTER COLUMN player SET STATISTICS 50;
ALTER FOREIGN TABLE remote.scores ADD CONSTRAINT points_small CHECK (points < 1000000) NOT VALID;
COMMENT ON FOREIGN TABLE remote.scores IS 'read from the scoreboard';
COMMENT ON COLUMN remote.scores.points IS 'never negative';
GRANT SELECT ON remote.scores TO snap_ks_reader;
GRANT SELECT (player) ON remote.scores TO PUBLIC;

CREATE TABLE local_parent (id int, note text);
CREATE FOREIGN TABLE remote_child (extra int) INHERITS (local_parent) SERVER snap_local;
CREATE TABLE readings (at date NOT NULL, value int) PARTITION BY RANGE (at);
CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE FOREIGN TABLE readings_archive PARTITION OF readings FOR VALUES FROM ('2000-01-01') TO ('2024-01-01')
    SERVER snap_local OPTIONS (table_name 'readings_old');
INSERT INTO readings VALUES ('2024-03-01', 7);

-- Privileges changed on objects the dump does not create (pg_dump keeps them through
-- pg_init_privs): the system's own objects in pg_catalog, and an extension's members
-- (plpgsql's language and handler functions). Grants and revokes, with and without an
-- initial-privileges record, a grant option and a grant made by another role, columns.
-- Roles snap_ks_owner and snap_ks_reader exist (the test creates them).

-- Extension members (plpgsql).
REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC;
GRANT USAGE ON LANGUAGE plpgsql TO snap_ks_reader;
REVOKE EXECUTE ON FUNCTION plpgsql_call_handler() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_catalog.plpgsql_validator(oid) TO snap_ks_reader;

-- Functions and aggregates in pg_catalog.
REVOKE EXECUTE ON FUNCTION pg_catalog.now() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_catalog.now() TO snap_ks_owner WITH GRANT OPTION;
SET ROLE snap_ks_owner;
GRANT EXECUTE ON FUNCTION pg_catalog.now() TO snap_ks_reader;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION pg_catalog.make_interval(int, int, int, int, int, int, double precision) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.percentile_cont(double precision, double precision) FROM PUBLIC;
-- initdb revoked this one from PUBLIC (pg_init_privs holds its initial privileges).
GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text) TO snap_ks_reader;

-- Tables, views and columns in pg_catalog.
GRANT SELECT (relname) ON pg_catalog.pg_class TO PUBLIC;
GRANT SELECT (relname, relkind), UPDATE (relkind) ON pg_catalog.pg_class TO snap_ks_reader;
GRANT SELECT ON pg_catalog.pg_statistic TO snap_ks_reader;
REVOKE SELECT ON pg_catalog.pg_settings FROM PUBLIC;

-- The schema itself, and types.
GRANT CREATE ON SCHEMA pg_catalog TO snap_ks_reader;
REVOKE USAGE ON TYPE pg_catalog.money FROM PUBLIC;
GRANT ALL ON TYPE pg_catalog.money TO snap_ks_reader WITH GRANT OPTION;
REVOKE USAGE ON TYPE pg_catalog."char" FROM PUBLIC;

-- Something of the user's beside them.
CREATE TABLE sys_priv_room (id int PRIMARY KEY, name text);
INSERT INTO sys_priv_room VALUES (1, 'vault');

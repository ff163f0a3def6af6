-- ALTER DEFAULT PRIVILEGES (after pg_dump's t/002_pg_dump.pl "ALTER DEFAULT PRIVILEGES FOR ROLE
-- regress_dump_test_role ..." cases): global entries that grant and that revoke a built-in
-- default, entries for one schema, grant options, every object type.
-- Roles snap_ks_owner and snap_ks_reader exist (the test creates them).
CREATE SCHEMA dump_test AUTHORIZATION snap_ks_owner;
ALTER DEFAULT PRIVILEGES FOR ROLE snap_ks_owner IN SCHEMA dump_test GRANT SELECT ON TABLES TO snap_ks_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE snap_ks_owner IN SCHEMA dump_test GRANT USAGE ON SEQUENCES TO snap_ks_reader WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES FOR ROLE snap_ks_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE snap_ks_owner GRANT EXECUTE ON FUNCTIONS TO snap_ks_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE snap_ks_owner REVOKE USAGE ON TYPES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE snap_ks_owner GRANT USAGE ON SCHEMAS TO snap_ks_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE snap_ks_owner REVOKE TRUNCATE, TRIGGER ON TABLES FROM snap_ks_owner;
ALTER DEFAULT PRIVILEGES FOR ROLE snap_ks_owner GRANT INSERT, SELECT, UPDATE ON TABLES TO PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO snap_ks_reader;

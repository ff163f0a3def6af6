-- Procedural languages (after t/002_pg_dump.pl "CREATE LANGUAGE pltestlang"): a language
-- made from plpgsql's handler functions, trusted, with a comment, a grant and a function.
CREATE FUNCTION dump_test_handler() RETURNS language_handler LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_call_handler';
CREATE FUNCTION dump_test_inline(internal) RETURNS void LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_inline_handler';
CREATE FUNCTION dump_test_validator(oid) RETURNS void LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_validator';
CREATE TRUSTED LANGUAGE pltestlang HANDLER dump_test_handler INLINE dump_test_inline VALIDATOR dump_test_validator;
COMMENT ON LANGUAGE pltestlang IS 'plpgsql under another name';
REVOKE USAGE ON LANGUAGE pltestlang FROM PUBLIC;
GRANT USAGE ON LANGUAGE pltestlang TO snap_ks_reader;
CREATE FUNCTION in_pltestlang() RETURNS integer LANGUAGE pltestlang AS 'BEGIN RETURN 42; END';
CREATE TRANSFORM FOR integer LANGUAGE pltestlang (FROM SQL WITH FUNCTION prsd_lextype(internal), TO SQL WITH FUNCTION int4recv(internal));

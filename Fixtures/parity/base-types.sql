-- Base types with their I/O functions (after t/002_pg_dump.pl "CREATE TYPE dump_test.int42"
-- and its "CREATE FUNCTION dump_test.int42_in" cases): the shell type, the functions, then the
-- type with every option, one with only the required ones, a table using them.
CREATE SCHEMA dump_test;
CREATE TYPE dump_test.int42;
CREATE FUNCTION dump_test.int42_in(cstring) RETURNS dump_test.int42 AS 'int4in' LANGUAGE internal STRICT IMMUTABLE;
CREATE FUNCTION dump_test.int42_out(dump_test.int42) RETURNS cstring AS 'int4out' LANGUAGE internal STRICT IMMUTABLE;
CREATE FUNCTION dump_test.int42_recv(internal) RETURNS dump_test.int42 AS 'int4recv' LANGUAGE internal STRICT IMMUTABLE;
CREATE FUNCTION dump_test.int42_send(dump_test.int42) RETURNS bytea AS 'int4send' LANGUAGE internal STRICT IMMUTABLE;
CREATE TYPE dump_test.int42 (
    internallength = 4, input = dump_test.int42_in, output = dump_test.int42_out,
    receive = dump_test.int42_recv, send = dump_test.int42_send,
    alignment = int4, storage = plain, passedbyvalue, category = 'N', preferred = false,
    default = '42', delimiter = ';');
COMMENT ON TYPE dump_test.int42 IS 'an int4 by another name';
CREATE TYPE dump_test.textish;
CREATE FUNCTION dump_test.textish_in(cstring) RETURNS dump_test.textish AS 'textin' LANGUAGE internal STRICT IMMUTABLE;
CREATE FUNCTION dump_test.textish_out(dump_test.textish) RETURNS cstring AS 'textout' LANGUAGE internal STRICT IMMUTABLE;
CREATE TYPE dump_test.textish (input = dump_test.textish_in, output = dump_test.textish_out, internallength = variable, storage = extended, collatable = true);
CREATE TABLE dump_test.measures (id integer, v dump_test.int42, t dump_test.textish, vs dump_test.int42[]);
INSERT INTO dump_test.measures VALUES (1, '7', 'seven', '{1;2}'), (2, DEFAULT, NULL, NULL);

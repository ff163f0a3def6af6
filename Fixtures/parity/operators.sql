-- Operators, operator classes (after t/002_pg_dump.pl "CREATE OPERATOR", "CREATE OPERATOR
-- CLASS" cases): a binary operator with commutator, negator, restrict/join estimators, HASHES
-- and MERGES; a prefix operator; operator classes with operators and support functions, one in
-- the family it made, one in a family of its own (with a loose member), one with nothing but
-- STORAGE; indexes using them.
CREATE SCHEMA dump_test;
CREATE FUNCTION dump_test.int_eq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE FUNCTION dump_test.int_ne(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> $2';
CREATE OPERATOR dump_test.=== (LEFTARG = integer, RIGHTARG = integer, FUNCTION = dump_test.int_eq,
    COMMUTATOR = OPERATOR(dump_test.===), NEGATOR = OPERATOR(dump_test.!==), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR dump_test.!== (LEFTARG = integer, RIGHTARG = integer, FUNCTION = dump_test.int_ne,
    COMMUTATOR = OPERATOR(dump_test.!==), NEGATOR = OPERATOR(dump_test.===), RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR dump_test.=== (integer, integer) IS 'strict equality';
CREATE FUNCTION dump_test.neg(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT -$1';
CREATE OPERATOR dump_test.~~~ (RIGHTARG = integer, FUNCTION = dump_test.neg);
CREATE FUNCTION dump_test.abs_lt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) < abs($2)';
CREATE FUNCTION dump_test.abs_le(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) <= abs($2)';
CREATE FUNCTION dump_test.abs_eq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) = abs($2)';
CREATE FUNCTION dump_test.abs_ge(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) >= abs($2)';
CREATE FUNCTION dump_test.abs_gt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) > abs($2)';
CREATE FUNCTION dump_test.abs_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT btint4cmp(abs($1), abs($2))';
CREATE OPERATOR dump_test.<# (LEFTARG = integer, RIGHTARG = integer, FUNCTION = dump_test.abs_lt);
CREATE OPERATOR dump_test.<=# (LEFTARG = integer, RIGHTARG = integer, FUNCTION = dump_test.abs_le);
CREATE OPERATOR dump_test.=# (LEFTARG = integer, RIGHTARG = integer, FUNCTION = dump_test.abs_eq);
CREATE OPERATOR dump_test.>=# (LEFTARG = integer, RIGHTARG = integer, FUNCTION = dump_test.abs_ge);
CREATE OPERATOR dump_test.># (LEFTARG = integer, RIGHTARG = integer, FUNCTION = dump_test.abs_gt);
CREATE OPERATOR CLASS dump_test.abs_int_ops FOR TYPE integer USING btree AS
    OPERATOR 1 dump_test.<#, OPERATOR 2 dump_test.<=#, OPERATOR 3 dump_test.=#,
    OPERATOR 4 dump_test.>=#, OPERATOR 5 dump_test.>#, FUNCTION 1 dump_test.abs_cmp(integer, integer);
COMMENT ON OPERATOR CLASS dump_test.abs_int_ops USING btree IS 'by absolute value';
CREATE OPERATOR FAMILY dump_test.op_family USING btree;
CREATE OPERATOR CLASS dump_test.op_class FOR TYPE bigint USING btree FAMILY dump_test.op_family AS
    STORAGE bigint, OPERATOR 1 <(bigint, bigint), OPERATOR 2 <=(bigint, bigint), OPERATOR 3 =(bigint, bigint),
    OPERATOR 4 >=(bigint, bigint), OPERATOR 5 >(bigint, bigint), FUNCTION 1 btint8cmp(bigint, bigint),
    FUNCTION 2 btint8sortsupport(internal);
CREATE OPERATOR CLASS dump_test.op_class_empty FOR TYPE bigint USING btree FAMILY dump_test.op_family AS STORAGE bigint;
CREATE TABLE dump_test.readings (n integer, m bigint);
INSERT INTO dump_test.readings VALUES (-3, 1), (2, 2), (1, 3);
CREATE INDEX readings_abs ON dump_test.readings (n dump_test.abs_int_ops);
CREATE INDEX readings_m ON dump_test.readings (m dump_test.op_class);

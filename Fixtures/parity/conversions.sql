-- Conversions (after t/002_pg_dump.pl "CREATE CONVERSION dump_test.test_conversion"): a
-- default one and a plain one, one with a comment.
CREATE SCHEMA dump_test;
CREATE CONVERSION dump_test.test_conversion FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE DEFAULT CONVERSION dump_test.test_default_conversion FOR 'LATIN2' TO 'UTF8' FROM iso8859_to_utf8;
COMMENT ON CONVERSION dump_test.test_conversion IS 'latin1 to utf8';

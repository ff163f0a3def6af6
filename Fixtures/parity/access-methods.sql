-- Access methods (after t/002_pg_dump.pl "CREATE ACCESS METHOD gist2", "CREATE ACCESS METHOD
-- regress_test_table_am" and the "CREATE TABLE regress_pg_dump_table_am" cases): an index
-- access method, a table access method, and a table and a materialized view using it.
CREATE ACCESS METHOD gist2 TYPE INDEX HANDLER gisthandler;
CREATE ACCESS METHOD regress_table_am TYPE TABLE HANDLER heap_tableam_handler;
COMMENT ON ACCESS METHOD gist2 IS 'a second gist';
CREATE TABLE uses_am (id integer, label text) USING regress_table_am;
INSERT INTO uses_am VALUES (1, 'one'), (2, 'two');
CREATE TABLE plain_heap (id integer);
INSERT INTO plain_heap VALUES (3);
CREATE MATERIALIZED VIEW uses_am_view USING regress_table_am AS SELECT id FROM uses_am;

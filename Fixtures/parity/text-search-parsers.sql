-- Text-search parsers and templates (after t/002_pg_dump.pl "CREATE TEXT SEARCH PARSER
-- dump_test.alt_ts_prs1" and "CREATE TEXT SEARCH TEMPLATE dump_test.alt_ts_temp1"), with a
-- configuration and a dictionary using them.
CREATE SCHEMA dump_test;
CREATE TEXT SEARCH PARSER dump_test.alt_ts_prs1 (start = prsd_start, gettoken = prsd_nexttoken, end = prsd_end, lextypes = prsd_lextype, headline = prsd_headline);
CREATE TEXT SEARCH PARSER dump_test.alt_ts_prs2 (start = prsd_start, gettoken = prsd_nexttoken, end = prsd_end, lextypes = prsd_lextype);
CREATE TEXT SEARCH TEMPLATE dump_test.alt_ts_temp1 (lexize = dsimple_lexize);
CREATE TEXT SEARCH TEMPLATE dump_test.alt_ts_temp2 (init = dsimple_init, lexize = dsimple_lexize);
COMMENT ON TEXT SEARCH PARSER dump_test.alt_ts_prs1 IS 'the default parser again';
COMMENT ON TEXT SEARCH TEMPLATE dump_test.alt_ts_temp1 IS 'simple without init';
CREATE TEXT SEARCH DICTIONARY dump_test.alt_dict (TEMPLATE = dump_test.alt_ts_temp2, stopwords = 'english');
CREATE TEXT SEARCH CONFIGURATION dump_test.alt_config (PARSER = dump_test.alt_ts_prs1);
ALTER TEXT SEARCH CONFIGURATION dump_test.alt_config ADD MAPPING FOR word WITH dump_test.alt_dict;

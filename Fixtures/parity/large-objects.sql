-- Large objects (after pg_dump's t/002_pg_dump.pl "LO create (using lo_from_bytea)" and its
-- LO COMMENT / GRANT / ALTER LARGE OBJECT ... OWNER cases): one over 3 MiB, an empty one, one
-- of another owner with a grant and a comment, one readable by everybody, one with an OID
-- above 2^31, and a table that refers to them by OID. Roles snap_ks_owner and snap_ks_reader
-- exist (the test creates them).
SELECT pg_catalog.lo_from_bytea(70001, 'the briefing text'::bytea);
SELECT pg_catalog.lo_create(70002);
SELECT pg_catalog.lo_from_bytea(70003,
    (SELECT pg_catalog.string_agg(pg_catalog.decode(pg_catalog.md5(i::text), 'hex'), ''::bytea ORDER BY i)
     FROM pg_catalog.generate_series(1, 230000) AS i));
SELECT pg_catalog.lo_from_bytea(70004, '\x00ff00ff'::bytea);
-- Above 2^31: pg_dump writes OIDs in the BLOBS block through a C int.
SELECT pg_catalog.lo_from_bytea(3000000000, 'a high OID'::bytea);
ALTER LARGE OBJECT 70001 OWNER TO snap_ks_owner;
GRANT SELECT ON LARGE OBJECT 70001 TO snap_ks_reader;
GRANT SELECT, UPDATE ON LARGE OBJECT 70004 TO PUBLIC;
COMMENT ON LARGE OBJECT 70001 IS 'the room''s briefing';
COMMENT ON LARGE OBJECT 70002 IS 'empty on purpose';
CREATE TABLE documents (id integer PRIMARY KEY, body oid NOT NULL);
INSERT INTO documents VALUES (1, 70001), (2, 70002), (3, 70003), (4, 70004);

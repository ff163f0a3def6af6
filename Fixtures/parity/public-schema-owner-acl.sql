-- The public schema with another owner, changed privileges and its own comment.
ALTER SCHEMA public OWNER TO snap_ks_owner;
REVOKE USAGE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO snap_ks_reader;
COMMENT ON SCHEMA public IS 'the room''s objects';
CREATE TABLE in_public (id int);

-- The public schema without the standard comment initdb gives it.
COMMENT ON SCHEMA public IS NULL;
CREATE TABLE in_public (id int);

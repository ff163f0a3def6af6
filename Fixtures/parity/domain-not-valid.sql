-- A domain constraint added NOT VALID (a stored value breaks it), with comments on both constraints.
CREATE DOMAIN small_int AS int CONSTRAINT small_int_positive CHECK (VALUE > 0);
CREATE TABLE uses_small_int (v small_int);
INSERT INTO uses_small_int VALUES (500);
ALTER DOMAIN small_int ADD CONSTRAINT small_int_max CHECK (VALUE < 100) NOT VALID;
COMMENT ON CONSTRAINT small_int_max ON DOMAIN small_int IS 'checked for new values only';
COMMENT ON CONSTRAINT small_int_positive ON DOMAIN small_int IS 'always held';

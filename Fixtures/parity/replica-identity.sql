-- REPLICA IDENTITY of each kind: USING INDEX on a plain unique index and on a unique
-- constraint's index, FULL, NOTHING, and DEFAULT on a table without a key.
CREATE TABLE ri_index (id int NOT NULL, code text NOT NULL);
CREATE UNIQUE INDEX ri_index_code ON ri_index (code);
ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_code;
CREATE TABLE ri_constraint (id int PRIMARY KEY, code text NOT NULL CONSTRAINT ri_constraint_code UNIQUE);
ALTER TABLE ri_constraint REPLICA IDENTITY USING INDEX ri_constraint_code;
CREATE TABLE ri_full (id int);
ALTER TABLE ri_full REPLICA IDENTITY FULL;
CREATE TABLE ri_nothing (id int PRIMARY KEY);
ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE ri_default (id int);
INSERT INTO ri_index VALUES (1, 'a'), (2, 'b');
INSERT INTO ri_constraint VALUES (1, 'a');

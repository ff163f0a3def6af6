-- A generated column inherited by a child that declares its own column list.
CREATE TABLE gen_parent (col1 int, col2 int GENERATED ALWAYS AS (col1 * 2) STORED);
CREATE TABLE gen_child (col1 int, col2 int, col3 text) INHERITS (gen_parent);
CREATE TABLE gen_plain_child (extra text) INHERITS (gen_parent);
INSERT INTO gen_parent (col1) VALUES (1);
INSERT INTO gen_child (col1, col3) VALUES (21, 'x');
INSERT INTO gen_plain_child (col1, extra) VALUES (5, 'y');

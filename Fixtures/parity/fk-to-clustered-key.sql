-- A foreign key pointing at a clustered primary key: CLUSTER ON belongs to the referenced table only.
CREATE TABLE clustered_parent (id int PRIMARY KEY, label text);
ALTER TABLE clustered_parent CLUSTER ON clustered_parent_pkey;
CREATE TABLE clustered_child (id int PRIMARY KEY, parent_id int REFERENCES clustered_parent (id));
INSERT INTO clustered_parent VALUES (1, 'one'), (2, 'two');
INSERT INTO clustered_child VALUES (10, 1), (20, 2);

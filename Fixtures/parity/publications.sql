-- Publications of every shape pg_dump writes: empty, FOR ALL TABLES with options, a table
-- with a column list and a row filter, a whole schema, a partitioned table published via its
-- root, and a comment.
CREATE SCHEMA pub_schema;
CREATE TABLE pub_schema.in_schema (id int PRIMARY KEY, note text);
CREATE TABLE pub_items (id int PRIMARY KEY, name text, price numeric, secret text);
CREATE TABLE pub_other ("Mixed Case" int, b text);
CREATE TABLE pub_measurements (at date NOT NULL, value int) PARTITION BY RANGE (at);
CREATE TABLE pub_measurements_2024 PARTITION OF pub_measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO pub_items VALUES (1, 'key', 2.50, 'x'), (2, 'lock', 10, NULL);
INSERT INTO pub_measurements VALUES ('2024-06-01', 3);

CREATE PUBLICATION pub_empty;
COMMENT ON PUBLICATION pub_empty IS 'nothing published yet';
CREATE PUBLICATION pub_all FOR ALL TABLES WITH (publish = 'insert, update');
CREATE PUBLICATION pub_none FOR ALL TABLES WITH (publish = '');
CREATE PUBLICATION "Pub Filtered" FOR TABLE pub_items (id, name, price) WHERE (price > 1 AND name IS NOT NULL);
ALTER PUBLICATION "Pub Filtered" ADD TABLE pub_other ("Mixed Case");
CREATE PUBLICATION pub_schema_wide FOR TABLES IN SCHEMA pub_schema WITH (publish = 'insert');
ALTER PUBLICATION pub_schema_wide ADD TABLE pub_other;
CREATE PUBLICATION pub_root FOR TABLE pub_measurements WITH (publish_via_partition_root = true);

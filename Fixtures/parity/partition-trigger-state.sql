-- A trigger cloned onto partitions, switched differently on each partition.
CREATE TABLE measured (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE measured_2024 PARTITION OF measured FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measured_2025 PARTITION OF measured FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE measured_2026 PARTITION OF measured FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE measured_2027 PARTITION OF measured FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
CREATE FUNCTION measured_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER measured_touch BEFORE INSERT ON measured FOR EACH ROW EXECUTE FUNCTION measured_touch();
ALTER TABLE measured_2024 DISABLE TRIGGER measured_touch;
ALTER TABLE measured_2025 ENABLE REPLICA TRIGGER measured_touch;
ALTER TABLE measured_2026 ENABLE ALWAYS TRIGGER measured_touch;
INSERT INTO measured VALUES (1, '2024-05-01'), (2, '2025-05-01');

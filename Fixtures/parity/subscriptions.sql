-- Subscriptions as pg_dump writes them (connect = false, so no publisher is needed): one with
-- its own slot name and a comment, one without a slot and with the options PostgreSQL 15 has.
CREATE SUBSCRIPTION sub_plain CONNECTION 'dbname=snap_nowhere host=/nonexistent' PUBLICATION pub_one WITH (connect = false);
COMMENT ON SUBSCRIPTION sub_plain IS 'replicates nothing here';
CREATE SUBSCRIPTION "Sub Options" CONNECTION 'dbname=''snap nowhere'' application_name=snap' PUBLICATION pub_one, "Pub Two"
    WITH (connect = false, slot_name = NONE, binary = true, streaming = on, two_phase = true,
          disable_on_error = true, synchronous_commit = 'local');
CREATE SUBSCRIPTION sub_slot CONNECTION 'dbname=snap_nowhere' PUBLICATION pub_one WITH (connect = false, slot_name = 'other_slot');

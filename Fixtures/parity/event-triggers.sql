-- Event triggers: every event, a tag filter, each enabled state, a comment. Created last, so
-- they fire on nothing the fixture does.
CREATE SCHEMA evt;
CREATE TABLE evt.ddl_log (tag text);
CREATE FUNCTION evt.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN RAISE NOTICE 'ddl: %', tg_tag; END$$;
CREATE EVENT TRIGGER evt_start ON ddl_command_start EXECUTE FUNCTION evt.on_ddl();
COMMENT ON EVENT TRIGGER evt_start IS 'says what runs';
CREATE EVENT TRIGGER "Evt Tags" ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'DROP TABLE') EXECUTE FUNCTION evt.on_ddl();
CREATE EVENT TRIGGER evt_drop ON sql_drop EXECUTE FUNCTION evt.on_ddl();
ALTER EVENT TRIGGER evt_drop DISABLE;
CREATE EVENT TRIGGER evt_rewrite ON table_rewrite EXECUTE FUNCTION evt.on_ddl();
ALTER EVENT TRIGGER evt_rewrite ENABLE REPLICA;
CREATE EVENT TRIGGER evt_always ON ddl_command_end WHEN TAG IN ('COMMENT') EXECUTE FUNCTION evt.on_ddl();
ALTER EVENT TRIGGER evt_always ENABLE ALWAYS;

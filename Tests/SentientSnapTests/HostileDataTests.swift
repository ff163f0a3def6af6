import Foundation
import SentientSnap
import TestHarness
import Testing

/// Every object kind named with quotes, spaces, unicode and reserved words, and data with every
/// byte value and every valid UTF-8 range.
let hostileNamesSQL = #"""
    CREATE SCHEMA "Sch ""q"" ✓";
    CREATE TYPE "Sch ""q"" ✓"."tÿpe select" AS ENUM ('a b', 'ç''d', 'order');
    CREATE SEQUENCE "Sch ""q"" ✓"."seq ""x"" group";
    CREATE TABLE "Sch ""q"" ✓"."table" (
        "select" int PRIMARY KEY,
        "col ""q"" é" text,
        "from" "Sch ""q"" ✓"."tÿpe select",
        "n 🎲" bigint DEFAULT nextval('"Sch ""q"" ✓"."seq ""x"" group"'),
        CONSTRAINT "chk ""c"" ü where" CHECK ("select" > 0));
    CREATE INDEX "idx ""i"" ñ" ON "Sch ""q"" ✓"."table" ("col ""q"" é");
    CREATE VIEW "Sch ""q"" ✓"."view where" AS SELECT "select", "from" FROM "Sch ""q"" ✓"."table";
    CREATE FUNCTION "Sch ""q"" ✓"."fn ""f"" ö"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW."col ""q"" é" := coalesce(NEW."col ""q"" é", 'filled'); RETURN NEW; END $$;
    CREATE TRIGGER "trg ""t"" ß" BEFORE INSERT ON "Sch ""q"" ✓"."table"
        FOR EACH ROW EXECUTE FUNCTION "Sch ""q"" ✓"."fn ""f"" ö"();
    INSERT INTO "Sch ""q"" ✓"."table" ("select", "col ""q"" é", "from") VALUES (1, NULL, 'a b'), (2, E'tab\there', 'ç''d'), (3, '\.', 'order');
    CREATE TABLE public.bytes (id int PRIMARY KEY, b bytea, t text);
    INSERT INTO public.bytes SELECT 1, decode(string_agg(lpad(to_hex(g), 2, '0'), '' ORDER BY g), 'hex'), NULL FROM generate_series(0, 255) g;
    INSERT INTO public.bytes SELECT 2, NULL, string_agg(chr(g), '' ORDER BY g) FROM generate_series(1, 55295) g;
    INSERT INTO public.bytes SELECT 3, NULL, string_agg(chr(g), '' ORDER BY g) FROM generate_series(57344, 1114111) g;
    INSERT INTO public.bytes SELECT 4, '\x00', E'\x01\x02\x03\t\n\r\x0b\x0c\x1b\x7f\\\\.\\.';
    """#

@Suite("hostile data", .timeLimit(.minutes(30)))
struct HostileDataTests {
    @Test("identifiers with quotes, spaces, unicode, reserved words in every object kind; every byte and UTF-8 range: round trip equal")
    func namesAndBytes() throws {
        let source = try RoomFixture(events: 20, prefix: "hd_src")
        try source.database.psql(hostileNamesSQL)
        let archive = try backup(source)
        let target = try TestPostgres.shared().createDatabase(prefix: "hd_dst")
        let request = try restoreRequest(archive, into: target, room: "pharaohs", roomsDir: source.dir.path + "/rooms-b")
        _ = try RestoreJob(request, confirm: { _, _ in true }).run()
        #expect(try schemaDump(target) == schemaDump(source.database))
        #expect(try tableChecksums(target) == tableChecksums(source.database))
        #expect(try target.psql("SELECT md5(b) FROM bytes WHERE id = 1") == source.database.psql("SELECT md5(b) FROM bytes WHERE id = 1"))
        #expect(try target.psql("SELECT length(t) FROM bytes WHERE id = 3") == "1056768")
    }
}

import Foundation
import PGDump
import PGWire
import TestHarness
import Testing

/// Loads a fixture SQL file into a fresh database.
func loadFixture(_ files: [String], prefix: String) throws -> TestDatabase {
    let server = try TestPostgres.shared()
    try server.admin { admin in
        for role in ["snap_ks_owner", "snap_ks_reader"] {
            if try admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]).count == 0 {
                try? admin.execute("CREATE ROLE \(role)")
            }
        }
    }
    let database = try server.createDatabase(prefix: prefix)
    for file in files {
        let result = try server.runTool("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", fixturePath(file)], database: database.name)
        guard result.status == 0 else { throw HarnessError("loading \(file) failed:\n\(result.stderr)") }
    }
    return database
}

/// Whether each materialized view is populated, by name.
func matviewStates(_ database: TestDatabase) throws -> String {
    try database.psql("SELECT string_agg(format('%I.%I=%s', schemaname, matviewname, ispopulated), ' ' ORDER BY schemaname, matviewname) FROM pg_matviews")
}

/// The three ways round: our dump + our restore, our dump + stock pg_restore,
/// stock pg_dump -Fc + our restore. Each must give a database equal to the source; `extra`
/// describes what the schema dump and checksums do not cover (large objects), compared too.
/// `stockToOurs: false` leaves out the third way, for archives our restore refuses by design
/// (the caller checks that refusal).
func assertRoundTrips(_ source: TestDatabase, prefix: String, stockToOurs: Bool = true, extra: ((TestDatabase) throws -> String)? = nil) throws {
    let server = try TestPostgres.shared()
    let sourceSchema = try schemaOnly(source)
    let sourceSums = try checksums(source)
    let sourceMatviews = try matviewStates(source)
    let sourceExtra = try extra?(source)
    let ours = try dumpWithOurDumper(source)
    let dir = try TempDir()
    let ourFile = dir.file("ours.dump")
    _ = FileManager.default.createFile(atPath: ourFile, contents: Data(ours))

    func check(_ target: TestDatabase, _ how: String) throws {
        let schema = try schemaOnly(target)
        #expect(schema == sourceSchema, "\(how): schema differs")
        if schema != sourceSchema {
            let a = dir.file("a.sql"), b = dir.file("b.sql")
            try sourceSchema.write(toFile: a, atomically: true, encoding: .utf8)
            try schema.write(toFile: b, atomically: true, encoding: .utf8)
            print(try runProcess("diff", [a, b]).stdout.prefix(4000))
        }
        #expect(try checksums(target) == sourceSums, "\(how): data differs")
        let matviews = try matviewStates(target)
        #expect(matviews == sourceMatviews, "\(how): materialized views differ")
        if let extra {
            let value = try extra(target)
            #expect(value == sourceExtra, "\(how): \(value)")
        }
    }

    let viaEngine = try server.createDatabase(prefix: prefix + "_eng")
    var options = RestoreOptions()
    options.jobs = 2
    _ = try RestoreEngine(target: viaEngine.settings, options: options).restore(from: CustomArchiveDecoder(source: memorySource(ours, piece: 65536)))
    try check(viaEngine, "our dump, our restore")

    let viaStock = try server.createDatabase(prefix: prefix + "_stk")
    let restore = try server.runTool("pg_restore", ["--exit-on-error", "-j", "2", "-d", viaStock.name, ourFile])
    #expect(restore.status == 0, "stock pg_restore of our dump: \(restore.stderr)")
    try check(viaStock, "our dump, stock pg_restore")

    guard stockToOurs else { return }
    let stockFile = dir.file("stock.dump")
    let dump = try server.runTool("pg_dump", ["-Fc", "-f", stockFile, source.name])
    #expect(dump.status == 0, "\(dump.stderr)")
    let fromStock = try server.createDatabase(prefix: prefix + "_pgd")
    guard let handle = FileHandle(forReadingAtPath: stockFile) else { throw HarnessError("no stock dump") }
    defer { try? handle.close() }
    let decoder = CustomArchiveDecoder { buffer in
        let data = handle.readData(ofLength: buffer.count)
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self), count: data.count)
        return data.count
    }
    _ = try RestoreEngine(target: fromStock.settings, options: options).restore(from: decoder)
    try check(fromStock, "stock pg_dump, our restore")
}

@Suite("schema and data fidelity", .timeLimit(.minutes(30)))
struct FidelityTests {
    @Test("the kitchen-sink fixture round-trips every way")
    func kitchenSink() throws {
        let source = try loadFixture(["kitchen-sink.sql"], prefix: "ks")
        try assertRoundTrips(source, prefix: "ks")
    }

    @Test("pagila (partitions, an unpopulated materialized view, triggers, an aggregate, domains) round-trips every way")
    func pagila() throws {
        let source = try loadFixture(["pagila/pagila-schema.sql", "pagila/pagila-data.sql"], prefix: "pagila")
        #expect(try source.psql("SELECT count(*) FROM payment") == "16049")
        try assertRoundTrips(source, prefix: "pagila")
    }
}

@Suite("database-level properties", .timeLimit(.minutes(30)))
struct DatabasePropertiesTests {
    func properties(_ database: TestDatabase) throws -> String {
        try database.psql("""
            SELECT coalesce(shobj_description(d.oid, 'pg_database'), '-') || ' | ' || coalesce(
                     regexp_replace(d.datacl::text, current_database(), 'DB', 'g'), '-') || ' | ' ||
                   coalesce((SELECT string_agg(coalesce(pg_get_userbyid(s.setrole), '*') || ':' || array_to_string(s.setconfig, ','), ';' ORDER BY s.setrole)
                             FROM pg_db_role_setting s WHERE s.setdatabase = d.oid), '-')
            FROM pg_database d WHERE d.datname = current_database()
            """)
    }

    @Test("comment, settings and grants of the database are reapplied to the restored one")
    func reapplied() throws {
        let server = try TestPostgres.shared()
        let source = try loadFixture([], prefix: "dbprops")
        let name = quoteIdentifier(source.name)
        try source.psql("""
            CREATE SCHEMA ops;
            ALTER DATABASE \(name) SET search_path TO "$user", public, ops;
            ALTER DATABASE \(name) SET work_mem = '8MB';
            ALTER ROLE snap_ks_reader IN DATABASE \(name) SET statement_timeout = '5s';
            COMMENT ON DATABASE \(name) IS 'the room''s event store';
            REVOKE CONNECT ON DATABASE \(name) FROM PUBLIC;
            GRANT CONNECT ON DATABASE \(name) TO snap_ks_reader;
            """)
        let expected = try properties(source)
        #expect(expected.contains("the room's event store"))
        #expect(expected.contains("search_path=\"$user\", public, ops"))
        let bytes = try dumpWithOurDumper(source)
        let target = try server.createDatabase(prefix: "dbprops_dst")
        _ = try RestoreEngine(target: target.settings).restore(from: CustomArchiveDecoder(source: memorySource(bytes)))
        #expect(try properties(target) == expected)

        // Stock pg_restore without -C leaves them alone, as pg_dump's own archives do.
        let dir = try TempDir()
        let file = dir.file("db.dump")
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        let stock = try server.createDatabase(prefix: "dbprops_stk")
        let result = try server.runTool("pg_restore", ["--exit-on-error", "-d", stock.name, file])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("a database read-only by default (default_transaction_read_only) restores on every connection and stays read-only by default")
    func readOnlyByDefault() throws {
        let server = try TestPostgres.shared()
        let source = try loadFixture([], prefix: "dbprops_ro")
        try source.psql("""
            CREATE TABLE events (event_id bigserial PRIMARY KEY, room_id text NOT NULL);
            CREATE INDEX events_room ON events (room_id);
            INSERT INTO events (room_id) SELECT 'room-' || (g % 7) FROM generate_series(1, 20000) g;
            ALTER DATABASE \(quoteIdentifier(source.name)) SET default_transaction_read_only = on;
            """)
        let bytes = try dumpWithOurDumper(source)
        let target = try server.createDatabase(prefix: "dbprops_ro_dst")
        var options = RestoreOptions()
        options.copyChunkBytes = 64 << 10  // rows over both connections, opened after the setting
        let stats = try RestoreEngine(target: target.settings, options: options).restore(from: CustomArchiveDecoder(source: memorySource(bytes)))
        #expect(stats.rows["public.events"] == 20000)
        #expect(try target.psql("SELECT count(*) || ' ' || sum(event_id) || ' ' || count(DISTINCT room_id) FROM events") == "20000 200010000 7")
        #expect(try target.psql("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'events'") == "events_pkey,events_room")
        #expect(try target.psql("SELECT last_value FROM events_event_id_seq") == "20000")
        #expect(try properties(target).contains("default_transaction_read_only=on"))
        #expect(try target.psql("SHOW default_transaction_read_only") == "on")
    }
}

@Suite("leaving objects out", .timeLimit(.minutes(30)))
struct ExclusionTests {
    @Test("--exclude-schema leaves a schema out with everything in it; --no-large-objects leaves large objects out")
    func excluded() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "exclude")
        try source.psql("""
            CREATE SCHEMA extras;
            CREATE FUNCTION extras.same_int(integer, integer) RETURNS boolean LANGUAGE sql AS 'SELECT $1 = $2';
            CREATE OPERATOR extras.=== (LEFTARG = integer, RIGHTARG = integer, FUNCTION = extras.same_int);
            CREATE TABLE extras.t (x int);
            CREATE TABLE kept (x int); INSERT INTO kept VALUES (1), (2);
            SELECT lo_from_bytea(0, 'left out'::bytea);
            """)
        func dump(noLargeObjects: Bool) throws -> ([UInt8], DumpPlan) {
            var options = DumpOptions()
            options.excludeSchemas = ["extras"]
            options.noLargeObjects = noLargeObjects
            let dumper = DatabaseDumper(connection: try source.connect(), options: options)
            let plan = try dumper.prepare()
            var bytes: [UInt8] = []
            _ = try dumper.write(plan, to: { bytes.append(contentsOf: $0) })
            try dumper.finish()
            return (bytes, plan)
        }
        let (bytes, plan) = try dump(noLargeObjects: true)
        #expect(plan.tables.map(\.name) == ["kept"])
        #expect(plan.largeObjectCount == 0)
        let target = try server.createDatabase(prefix: "exclude_dst")
        _ = try RestoreEngine(target: target.settings).restore(from: CustomArchiveDecoder(source: memorySource(bytes)))
        #expect(try target.psql("SELECT count(*) FROM kept") == "2")
        #expect(try target.psql("SELECT count(*) FROM pg_namespace WHERE nspname = 'extras'") == "0")
        #expect(try target.psql("SELECT count(*) FROM pg_largeobject_metadata") == "0")

        let (withObjects, planWith) = try dump(noLargeObjects: false)
        #expect(planWith.largeObjectCount == 1)
        let full = try server.createDatabase(prefix: "exclude_lo")
        _ = try RestoreEngine(target: full.settings).restore(from: CustomArchiveDecoder(source: memorySource(withObjects)))
        #expect(try full.psql("SELECT string_agg(convert_from(lo_get(oid), 'UTF8'), ',') FROM pg_largeobject_metadata") == "left out")
    }
}

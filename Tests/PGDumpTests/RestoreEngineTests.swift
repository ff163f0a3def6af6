import Foundation
import PGDump
import PGWire
import TestHarness
import Testing

/// A schema beyond the event store: two schemas, keys, a foreign key cycle-free chain,
/// CHECK (valid and NOT VALID), UNIQUE, partial and expression indexes, comments,
/// an unlogged table, a standalone sequence, defaults, collations.
let richSchema = """
    CREATE TABLE IF NOT EXISTS events (
        event_id BIGSERIAL PRIMARY KEY, ts TIMESTAMPTZ NOT NULL, level TEXT NOT NULL, event TEXT NOT NULL,
        msg TEXT, fields JSONB, room_id TEXT NOT NULL, session_id TEXT);
    CREATE INDEX idx_events_ts ON events(ts DESC);
    CREATE INDEX idx_events_room_id ON events(room_id);
    CREATE SCHEMA "Game Ops";
    COMMENT ON SCHEMA "Game Ops" IS 'operations';
    CREATE SEQUENCE "Game Ops".ticket_no AS integer START 100 INCREMENT 5 MAXVALUE 100000 CYCLE;
    CREATE TABLE "Game Ops".sessions (
        id serial PRIMARY KEY, code text NOT NULL UNIQUE, started timestamptz DEFAULT now(),
        players int CHECK (players BETWEEN 1 AND 8), label text COLLATE "C",
        ticket int DEFAULT nextval('"Game Ops".ticket_no'));
    CREATE TABLE "Game Ops".hints (
        id bigserial PRIMARY KEY, session_id int NOT NULL REFERENCES "Game Ops".sessions(id) ON DELETE CASCADE DEFERRABLE,
        "order" int NOT NULL, body text, UNIQUE (session_id, "order"));
    ALTER TABLE "Game Ops".hints ADD CONSTRAINT body_len CHECK (length(body) < 500) NOT VALID;
    CREATE INDEX hints_lower ON "Game Ops".hints (lower(body)) WHERE body IS NOT NULL;
    CREATE UNLOGGED TABLE scratch (k text, v numeric(10,2)) WITH (fillfactor = 70);
    COMMENT ON TABLE "Game Ops".sessions IS 'game sessions';
    COMMENT ON COLUMN "Game Ops".hints.body IS 'what the game master said';
    COMMENT ON INDEX "Game Ops".hints_lower IS 'case-insensitive search';
    COMMENT ON CONSTRAINT body_len ON "Game Ops".hints IS 'short hints only';
    INSERT INTO events (ts, level, event, msg, room_id) SELECT now(), 'info', 'e' || g, E'a\\tb\\\\c', 'pharaohs' FROM generate_series(1, 5000) g;
    INSERT INTO "Game Ops".sessions (code, players, label) SELECT 'S' || g, 1 + g % 8, 'L' || g FROM generate_series(1, 200) g;
    INSERT INTO "Game Ops".hints (session_id, "order", body) SELECT 1 + g % 200, g, 'hint ' || g FROM generate_series(1, 1000) g;
    INSERT INTO scratch VALUES ('a', 1.5), (NULL, NULL);
    SELECT setval('"Game Ops".ticket_no', 4242);
    """

/// Dumps `database` with our dumper into a byte array.
func dumpWithOurDumper(_ database: TestDatabase) throws -> [UInt8] {
    let dumper = DatabaseDumper(connection: try database.connect())
    let plan = try dumper.prepare()
    var bytes: [UInt8] = []
    _ = try dumper.write(plan, to: { bytes.append(contentsOf: $0) })
    try dumper.finish()
    return bytes
}

/// Row count and digest of each table's own rows (ONLY: a row is counted in its own table, and
/// a foreign table under a parent, which cannot be read without its server, is not read).
func checksums(_ database: TestDatabase) throws -> String {
    let tables = try database.psql("""
        SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
        """).split(separator: "\n").map(String.init)
    var lines: [String] = []
    for table in tables {
        lines.append(table + " " + (try database.psql(
            "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') FROM ONLY \(table) t")))
    }
    lines.append(try database.psql(
        "SELECT string_agg(format('%I.%I %s', schemaname, sequencename, last_value), E'\\n' ORDER BY schemaname, sequencename) FROM pg_sequences"))
    return lines.joined(separator: "\n")
}

func schemaOnly(_ database: TestDatabase) throws -> String {
    let result = try database.server.runTool("pg_dump", ["--schema-only"], database: database.name)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") && !$0.hasPrefix("-- Dumped") }
    return canonicalEntryOrder(lines.map(String.init)).joined(separator: "\n")
}

/// pg_dump orders objects of one type and name by OID (`pg_dump_sort.c`), and a parallel restore
/// creates them in either order: the same table in two publications comes out swapped on a
/// restored copy, with every line equal. Sorting each run of adjacent entries of one type by
/// their text keeps every line compared and drops only that OID-dependent order.
func canonicalEntryOrder(_ lines: [String]) -> [String] {
    var starts: [Int] = []
    for i in lines.indices where i + 2 < lines.count
        && lines[i] == "--" && lines[i + 1].hasPrefix("-- Name: ") && lines[i + 2] == "--" {
        starts.append(i)
    }
    guard let first = starts.first else { return lines }
    let ends = Array(starts.dropFirst()) + [lines.count]
    let entries = zip(starts, ends).map { Array(lines[$0..<$1]) }
    func type(_ entry: [String]) -> Substring {
        let header = entry[1]
        guard let typeStart = header.range(of: "; Type: ") else { return Substring(header) }
        return header[typeStart.upperBound...].prefix { $0 != ";" }
    }
    var out = Array(lines[..<first])
    var run: [[String]] = []
    func flush() {
        out += run.sorted { $0.joined(separator: "\n") < $1.joined(separator: "\n") }.flatMap { $0 }
        run = []
    }
    for entry in entries {
        if let last = run.last, type(last) != type(entry) { flush() }
        run.append(entry)
    }
    flush()
    return out
}

@Suite("restore engine", .timeLimit(.minutes(30)))
struct RestoreEngineTests {
    @Test("our dump -> our restore: schema and data equal the source")
    func ourArchive() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "re_src")
        try source.psql(richSchema)
        let bytes = try dumpWithOurDumper(source)

        let target = try server.createDatabase(prefix: "re_dst")
        var options = RestoreOptions()
        options.jobs = 2
        let stats = try RestoreEngine(target: target.settings, options: options)
            .restore(from: CustomArchiveDecoder(source: memorySource(bytes, piece: 65536)))
        #expect(stats.rows["public.events"] == 5000)
        #expect(stats.rows["Game Ops.hints"] == 1000)
        let (targetSchema, sourceSchema) = (try schemaOnly(target), try schemaOnly(source))
        #expect(targetSchema == sourceSchema)
        let (targetSums, sourceSums) = (try checksums(target), try checksums(source))
        #expect(targetSums == sourceSums)

        // Stock pg_restore reads the same bytes into an equal database.
        let dir = try TempDir()
        let file = dir.file("db.dump")
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        let stock = try server.createDatabase(prefix: "re_stock")
        let result = try server.runTool("pg_restore", ["--exit-on-error", "-d", stock.name, file])
        #expect(result.status == 0, "\(result.stderr)")
        let (stockSchema, stockSums) = (try schemaOnly(stock), try checksums(stock))
        #expect(stockSchema == sourceSchema)
        #expect(stockSums == sourceSums)
    }

    @Test("a stock pg_dump -Fc archive (gzip blocks) restores without pg_restore")
    func stockArchive() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "re_pgd")
        try source.psql(richSchema)
        let dir = try TempDir()
        let file = dir.file("stock.dump")
        let dump = try server.runTool("pg_dump", ["-Fc", "-f", file, source.name])
        #expect(dump.status == 0, "\(dump.stderr)")
        guard let handle = FileHandle(forReadingAtPath: file) else { throw HarnessError("no dump") }
        defer { try? handle.close() }
        let decoder = CustomArchiveDecoder { buffer in
            let data = handle.readData(ofLength: buffer.count)
            data.copyBytes(to: buffer.bindMemory(to: UInt8.self), count: data.count)
            return data.count
        }
        let target = try server.createDatabase(prefix: "re_pgd_dst")
        let stats = try RestoreEngine(target: target.settings).restore(from: decoder)
        #expect(decoder.header?.compression == .gzip)
        #expect(stats.rows["public.events"] == 5000)
        let (targetSchema, sourceSchema) = (try schemaOnly(target), try schemaOnly(source))
        #expect(targetSchema == sourceSchema)
        let (targetSums, sourceSums) = (try checksums(target), try checksums(source))
        #expect(targetSums == sourceSums)
    }

    @Test("the first failing statement stops the restore and names the entry")
    func stopsAtFirstFailure() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "re_fail")
        try source.psql(richSchema)
        let bytes = try dumpWithOurDumper(source)
        let target = try server.createDatabase(prefix: "re_fail_dst")
        try target.psql("CREATE TABLE scratch (x int)")
        let error = #expect(throws: RestoreError.self) {
            _ = try RestoreEngine(target: target.settings).restore(from: CustomArchiveDecoder(source: memorySource(bytes)))
        }
        #expect(error?.desc == "TABLE")
        #expect(error?.tag == "scratch")
        #expect(error?.underlying.sqlState == "42P07")
        #expect(error?.description.contains("TABLE scratch") == true)
    }
}

@Suite("restore engine: roles", .timeLimit(.minutes(30)))
struct RestoreRolesTests {
    @Test("roles the target lacks stop the restore before it changes anything, unless told what to do")
    func missingRoles() throws {
        let server = try TestPostgres.shared()
        let role = "snap_gone_\(UInt32.random(in: 0...UInt32.max))"
        let reader = role + "_r"
        try server.admin { try $0.execute("CREATE ROLE \(role); CREATE ROLE \(reader)") }
        let source = try server.createDatabase(prefix: "roles_src")
        try source.psql("CREATE TABLE t (id int); ALTER TABLE t OWNER TO \(role); GRANT SELECT ON t TO \(reader); INSERT INTO t VALUES (1)")
        let bytes = try dumpWithOurDumper(source)
        try source.drop()
        try server.admin { try $0.execute("DROP ROLE \(role); DROP ROLE \(reader)") }

        let target = try server.createDatabase(prefix: "roles_dst")
        let error = #expect(throws: DumpError.self) {
            _ = try RestoreEngine(target: target.settings).restore(from: CustomArchiveDecoder(source: memorySource(bytes)))
        }
        #expect(error?.code == .missingRoles)
        #expect(error?.message.contains(role) == true)
        #expect(error?.message.contains(reader) == true)
        #expect(error?.message.contains("--create-roles") == true)
        #expect(try target.psql("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0", "nothing was restored")

        var noOwner = RestoreOptions()
        noOwner.noOwner = true
        noOwner.noACL = true
        _ = try RestoreEngine(target: target.settings, options: noOwner).restore(from: CustomArchiveDecoder(source: memorySource(bytes)))
        #expect(try target.psql("SELECT count(*) FROM t") == "1")

        let created = try server.createDatabase(prefix: "roles_new")
        var create = RestoreOptions()
        create.createRoles = true
        _ = try RestoreEngine(target: created.settings, options: create).restore(from: CustomArchiveDecoder(source: memorySource(bytes)))
        #expect(try created.psql("SELECT tableowner FROM pg_tables WHERE tablename = 't'") == role)
        #expect(try created.psql("SELECT rolcanlogin FROM pg_roles WHERE rolname = '\(role)'") == "f")
        #expect(try created.psql("SELECT has_table_privilege('\(reader)', 't', 'SELECT')") == "t")
        try created.drop()
        try server.admin { try $0.execute("DROP OWNED BY \(role), \(reader); DROP ROLE \(role); DROP ROLE \(reader)") }
    }
}

import Foundation
import PGDump
import PGWire
import TestHarness
import Testing

/// A tablespace on the throwaway cluster, in a fresh directory under its own; tablespaces are
/// cluster-wide, so each test makes its own (unique name) and drops it at the end.
struct ScratchTablespace {
    let server: TestPostgres
    let name: String

    init(_ server: TestPostgres) throws {
        guard let cluster = server.clusterDirectory else { throw HarnessError("a tablespace needs the throwaway cluster's directory") }
        self.server = server
        name = "snap_ts_\(UInt32.random(in: 0...UInt32.max))"
        let path = cluster + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        // The server runs as postgres when the tests run as root; the directory must be its.
        if getuid() == 0, let pw = getpwnam("postgres") { chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        try server.admin { try $0.execute("CREATE TABLESPACE \(name) LOCATION '\(path)'") }
    }

    /// Drops the databases named `prefix`_... first (those of a test, which may use it: a
    /// tablespace in use cannot be dropped), then the tablespace.
    func drop(databasesNamed prefix: String) {
        let names = (try? server.admin { connection in
            try connection.query("SELECT datname FROM pg_catalog.pg_database WHERE pg_catalog.starts_with(datname, $1)", [prefix + "_"]).rows.compactMap { $0[0] }
        }) ?? []
        for database in names { try? server.dropDatabase(database) }
        try? server.admin { try $0.execute("DROP TABLESPACE IF EXISTS \(name)") }
    }
}

private let externalServer = !(ProcessInfo.processInfo.environment["SENTIENT_TEST_PG_URL"] ?? "").isEmpty

@Suite("tablespaces", .timeLimit(.minutes(10)), .disabled(if: externalServer, "needs the throwaway cluster's directory to make a tablespace"))
struct TablespaceTests {
    /// Relations of every kind that has a tablespace, some in the scratch tablespace.
    static func schema(_ tablespace: String) -> String {
        """
        CREATE TABLE ts_rooms (id int PRIMARY KEY USING INDEX TABLESPACE \(tablespace), name text UNIQUE) TABLESPACE \(tablespace);
        CREATE TABLE ts_plain (id int PRIMARY KEY, room int REFERENCES ts_rooms (id));
        CREATE INDEX ts_plain_room ON ts_plain (room) TABLESPACE \(tablespace);
        CREATE TABLE ts_events (at date NOT NULL, what text) PARTITION BY RANGE (at) TABLESPACE \(tablespace);
        CREATE TABLE ts_events_2026 PARTITION OF ts_events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE INDEX ts_events_at ON ts_events (at) TABLESPACE \(tablespace);
        CREATE MATERIALIZED VIEW ts_names TABLESPACE \(tablespace) AS SELECT name FROM ts_rooms;
        CREATE INDEX ts_names_name ON ts_names (name);
        INSERT INTO ts_rooms VALUES (1, 'vault'), (2, 'lab');
        INSERT INTO ts_plain VALUES (10, 1), (11, 2);
        INSERT INTO ts_events VALUES ('2026-03-01', 'opened');
        REFRESH MATERIALIZED VIEW ts_names;
        """
    }

    /// Each relation and the tablespace it is in ("-" for the database's default).
    static func placement(_ database: TestDatabase) throws -> String {
        try database.psql("""
            SELECT string_agg(c.relname || '=' || coalesce(t.spcname, '-'), ' ' ORDER BY c.relname)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm', 'i', 'I')
            """)
    }

    /// Desc, tag and tablespace field of the entries that have one.
    static func fields(_ bytes: [UInt8]) throws -> [String] {
        let decoder = CustomArchiveDecoder(source: memorySource(bytes))
        _ = try decoder.readHeader()
        return try decoder.readTOC().filter { $0.tablespace != nil }.map { "\($0.desc) | \($0.tag) | \($0.tablespace ?? "-")" }.sorted()
    }

    @Test("tables, indexes, constraints, partitioned tables and materialized views in a tablespace round-trip every way, with pg_dump's tablespace fields")
    func roundTrip() throws {
        let server = try TestPostgres.shared()
        let tablespace = try ScratchTablespace(server)
        defer { tablespace.drop(databasesNamed: "tsrt") }
        let source = try server.createDatabase(prefix: "tsrt")
        try source.psql(Self.schema(tablespace.name))
        let placed = try Self.placement(source)
        #expect(placed.contains("ts_rooms=\(tablespace.name)") && placed.contains("ts_plain_room=\(tablespace.name)"), "\(placed)")

        let ours = try Self.fields(dumpWithOurDumper(source))
        #expect(ours == (try Self.fields(stockDump(source))))
        #expect(ours.contains("INDEX | ts_plain_room | \(tablespace.name)"), "\(ours)")
        try assertRoundTrips(source, prefix: "tsrt") { try Self.placement($0) }
    }

    @Test("--no-tablespaces: a dump without them (named in leftOut), and a restore that ignores them, put everything in the default")
    func noTablespaces() throws {
        let server = try TestPostgres.shared()
        let tablespace = try ScratchTablespace(server)
        defer { tablespace.drop(databasesNamed: "tsno") }
        let source = try server.createDatabase(prefix: "tsno")
        try source.psql(Self.schema(tablespace.name))
        let everywhereDefault = try Self.placement(source).replacingOccurrences(of: "=\(tablespace.name)", with: "=-")

        var dumpOptions = DumpOptions()
        dumpOptions.noTablespaces = true
        #expect(dumpOptions.leftOut == ["tablespaces"])
        let dumper = DatabaseDumper(connection: try source.connect(), options: dumpOptions)
        let plan = try dumper.prepare()
        var without: [UInt8] = []
        _ = try dumper.write(plan, to: { without.append(contentsOf: $0) })
        try dumper.finish()
        let fields = try Self.fields(without)
        #expect(!fields.isEmpty && fields.allSatisfy { $0.hasSuffix(" | ") }, "\(fields)")
        let fromWithout = try server.createDatabase(prefix: "tsno_a")
        _ = try RestoreEngine(target: fromWithout.settings).restore(from: CustomArchiveDecoder(source: memorySource(without)))
        #expect(try Self.placement(fromWithout) == everywhereDefault)

        var options = RestoreOptions()
        options.noTablespaces = true
        let ignoring = try server.createDatabase(prefix: "tsno_b")
        _ = try RestoreEngine(target: ignoring.settings, options: options).restore(from: CustomArchiveDecoder(source: memorySource(try dumpWithOurDumper(source))))
        #expect(try Self.placement(ignoring) == everywhereDefault)
        #expect(try checksums(ignoring) == (try checksums(source)))
    }

    @Test("a tablespace the target lacks stops the restore before it changes anything, naming it and --no-tablespaces")
    func missingTablespace() throws {
        let server = try TestPostgres.shared()
        let tablespace = try ScratchTablespace(server)
        let source = try server.createDatabase(prefix: "tsmiss")
        try source.psql(Self.schema(tablespace.name))
        let bytes = try dumpWithOurDumper(source)
        tablespace.drop(databasesNamed: "tsmiss")

        let target = try server.createDatabase(prefix: "tsmiss_dst")
        defer { try? target.drop() }
        let error = #expect(throws: DumpError.self) {
            _ = try RestoreEngine(target: target.settings).restore(from: CustomArchiveDecoder(source: memorySource(bytes)))
        }
        #expect(error?.code == .missingTablespaces)
        #expect(error?.message.contains(tablespace.name) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("--no-tablespaces") == true)
        #expect(try target.psql("SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE 'ts\\_%'") == "0", "nothing was restored")
    }
}

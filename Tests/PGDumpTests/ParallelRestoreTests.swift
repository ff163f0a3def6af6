import Foundation
import PGDump
import PGWire
import TestHarness
import Testing

/// A table's rows spread over several connections (`RestoreOptions.jobs`), with small chunks so
/// that tables of a few megabytes are cut many times.
@Suite("restore engine: table data over several connections", .timeLimit(.minutes(30)))
struct ParallelRestoreTests {
    static let schema = """
        CREATE TABLE events (
            event_id BIGSERIAL PRIMARY KEY, ts TIMESTAMPTZ NOT NULL, msg TEXT, fields JSONB, room_id TEXT NOT NULL);
        CREATE INDEX idx_events_ts ON events(ts DESC);
        INSERT INTO events (ts, msg, fields, room_id)
        SELECT '2024-01-01'::timestamptz + g * interval '1 second',
               CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN E'tab\\there\\nnewline \\\\ backslash' ELSE repeat('x', g % 300) END,
               jsonb_build_object('g', g, 's', E'q"\\n'), 'pharaohs'
        FROM generate_series(1, 100000) g;
        -- A row far longer than a chunk: it has to travel whole on one connection.
        INSERT INTO events (ts, msg, room_id) VALUES ('2024-02-01', repeat('long row ', 20000), 'pharaohs');
        INSERT INTO events (ts, msg, room_id) SELECT '2024-03-01'::timestamptz + g * interval '1 s', 'after ' || g, 'pharaohs'
        FROM generate_series(1, 3000) g;
        CREATE TABLE readings (id int, v numeric);
        CREATE INDEX readings_brin ON readings USING brin (id);
        INSERT INTO readings SELECT g, g / 7.0 FROM generate_series(1, 20000) g;
        CREATE TABLE visits (id int, room text);
        CREATE INDEX visits_room ON visits (room, id);
        ALTER TABLE visits CLUSTER ON visits_room;
        INSERT INTO visits SELECT g, 'room ' || (g % 5) FROM generate_series(1, 20000) g;
        CREATE TABLE empty_one (id int);
        """

    /// Backends of `database` still busy with a COPY.
    static func copiesRunning(on database: TestDatabase) throws -> String {
        try database.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%' AND state <> 'idle'")
    }

    static func restore(_ bytes: [UInt8], into target: TestDatabase, jobs: Int) throws -> RestoreStats {
        var options = RestoreOptions()
        options.jobs = jobs
        options.copyChunkBytes = 32768
        return try RestoreEngine(target: target.settings, options: options)
            .restore(from: CustomArchiveDecoder(source: memorySource(bytes, piece: 5000)))
    }

    @Test("rows spread over 3 connections restore equal; a BRIN-indexed and a CLUSTER ON table load on one, in their exact order")
    func spreadsRows() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "par_src")
        try source.psql(Self.schema)
        let bytes = try dumpWithOurDumper(source)
        let target = try server.createDatabase(prefix: "par_dst")
        let stats = try Self.restore(bytes, into: target, jobs: 3)

        #expect(stats.rows["public.events"] == 103001)
        #expect(stats.rows["public.readings"] == 20000)
        #expect(stats.rows["public.empty_one"] == 0)
        let (targetSums, sourceSums) = (try checksums(target), try checksums(source))
        #expect(targetSums == sourceSums)
        let (targetSchema, sourceSchema) = (try schemaOnly(target), try schemaOnly(source))
        #expect(targetSchema == sourceSchema)

        // Each COPY is its own transaction: the events came over all three connections, in one
        // COPY each, and more where a connection changed format (the row longer than a chunk
        // goes as text, the rows around it as binary).
        let writers = try target.psql("SELECT count(DISTINCT xmin::text) FROM events")
        let copies = stats.copyChunks["public.events"]?.copies ?? 0
        #expect(writers == String(copies))
        #expect(copies >= 3)
        // The BRIN-indexed table keeps its heap order exactly: one COPY.
        // So does the table marked CLUSTER ON.
        for table in ["readings", "visits"] {
            let order = "SELECT count(DISTINCT xmin::text) || ' ' || md5(string_agg(id::text, ',' ORDER BY ctid)) FROM \(table)"
            let (targetOrder, sourceOrder) = (try target.psql(order), try source.psql(order))
            #expect(targetOrder == sourceOrder, "\(table)")
            #expect(targetOrder.hasPrefix("1 "), "\(table)")
        }
    }

    @Test("an archive that ends in the middle of a table's rows stops every connection")
    func truncatedMidTable() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "par_cut")
        try source.psql(Self.schema)
        let bytes = try dumpWithOurDumper(source)
        let target = try server.createDatabase(prefix: "par_cut_dst")
        let error = #expect(throws: DumpError.self) {
            _ = try Self.restore(Array(bytes.prefix(bytes.count / 2)), into: target, jobs: 3)
        }
        #expect(error?.code == .truncated, "\(String(describing: error))")
        // Nothing of the half-read table was committed, and no COPY is left running.
        #expect(try target.psql("SELECT count(*) FROM events") == "0")
        #expect(try Self.copiesRunning(on: target) == "0")
    }

    @Test("a row one connection's server rejects stops every connection and names the table")
    func oneLaneFails() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "par_fail")
        // The CHECK reads a setting the source lacks and the target has: row 15000 passes on the
        // way out and is refused on the way in, half-way through the table.
        try source.psql("""
            CREATE TABLE tickets (id int, code text CHECK (code IS DISTINCT FROM current_setting('snaptest.forbid', true)));
            INSERT INTO tickets SELECT g, 'code-' || g FROM generate_series(1, 30000) g;
            """)
        let bytes = try dumpWithOurDumper(source)
        let target = try server.createDatabase(prefix: "par_fail_dst")
        try target.psql("ALTER DATABASE \(target.name) SET snaptest.forbid = 'code-15000'")
        let started = Date()
        let error = #expect(throws: RestoreError.self) {
            _ = try Self.restore(bytes, into: target, jobs: 2)
        }
        #expect(error?.desc == "TABLE DATA")
        #expect(error?.tag == "tickets")
        #expect(error?.underlying.sqlState == "23514")
        #expect(Date().timeIntervalSince(started) < 60)
        // No COPY is left running on the target.
        #expect(try Self.copiesRunning(on: target) == "0")
    }

    @Test("one connection (jobs 1) loads the same rows in the source's order")
    func oneJob() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "par_one")
        try source.psql(Self.schema)
        let bytes = try dumpWithOurDumper(source)
        let target = try server.createDatabase(prefix: "par_one_dst")
        let stats = try Self.restore(bytes, into: target, jobs: 1)
        let order = "SELECT md5(string_agg(event_id::text, ',' ORDER BY ctid)) FROM events"
        let (targetOrder, sourceOrder) = (try target.psql(order), try source.psql(order))
        #expect(targetOrder == sourceOrder)
        // Binary COPY, then the row longer than a chunk as text, then binary again.
        #expect(stats.copyChunks["public.events"]?.copies == 3)
        #expect(try target.psql("SELECT count(DISTINCT xmin::text) FROM events") == "3")
    }
}

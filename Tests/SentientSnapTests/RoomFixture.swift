import Foundation
import PGWire
import SentientSnap
import TestHarness
import Testing

/// A room for tests: its own database with the event store, a rooms dir with its config
/// tree, an empty env dir and an output dir.
struct RoomFixture {
    let room: String
    let database: TestDatabase
    let dir: TempDir
    var roomsDir: String { dir.path + "/rooms" }
    var envDir: String { dir.path + "/env" }
    var outputDir: String { dir.path + "/out" }

    init(room: String = "pharaohs", events: Int = 1000, prefix: String = "room") throws {
        self.room = room
        database = try TestPostgres.shared().createDatabase(prefix: prefix)
        dir = try TempDir(prefix: "snap-room")
        let fm = FileManager.default
        try fm.createDirectory(atPath: roomsDir, withIntermediateDirectories: true)
        try fm.copyItem(atPath: fixturePath("rooms/pharaohs"), toPath: roomsDir + "/" + room)
        try fm.createDirectory(atPath: envDir, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        try database.psql(String(contentsOfFile: fixturePath("event-store.sql"), encoding: .utf8))
        if events > 0 { try insertEvents(events, room: room) }
    }

    /// Inserts varied events: NULLs, unicode, tabs, newlines, backslashes, `\.` in text, nested jsonb.
    func insertEvents(_ count: Int, room: String, start: Int = 1) throws {
        try database.psql("""
            INSERT INTO events (ts, level, event, msg, fields, room_id, session_id)
            SELECT '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second',
                   (ARRAY['info', 'warn', 'error'])[1 + g % 3],
                   'evt_' || (g % 50),
                   CASE g % 8 WHEN 0 THEN NULL
                              WHEN 1 THEN E'tab\\there\\tand there'
                              WHEN 2 THEN E'line1\\nline2\\r\\nline3'
                              WHEN 3 THEN E'back\\\\slash and \\\\. dot'
                              WHEN 4 THEN 'ünïcødé ✓ 🎲 Pharaoh''s tomb ' || g
                              WHEN 5 THEN E'\\\\.'
                              WHEN 6 THEN repeat('x', g % 700)
                              ELSE '' END,
                   CASE WHEN g % 11 = 0 THEN NULL
                        ELSE jsonb_build_object('n', g, 'txt', E'a\\tb\\nc',
                               'nested', jsonb_build_object('arr', jsonb_build_array(1, 'two', NULL,
                                   jsonb_build_object('deep', E'q"uote\\\\ \\\\.')))) END,
                   \(quoteLiteral(room)),
                   CASE WHEN g % 5 = 0 THEN NULL ELSE 'session-' || (g / 100) END
            FROM generate_series(\(start), \(start + count - 1)) g;
            """)
    }

    func settings(_ configure: (inout SettingFlags) -> Void = { _ in }) throws -> RoomSettings {
        var flags = SettingFlags()
        flags.host = database.settings.host
        flags.pgPort = database.settings.port
        flags.pgUser = database.settings.user
        flags.pgDatabase = database.name
        flags.roomsDir = roomsDir
        flags.envDir = nil
        configure(&flags)
        return try RoomSettings.resolve(room: room, flags: flags, environment: ["SENTIENT_ENV_DIR": envDir])
    }

    func outputFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: outputDir).sorted()
    }
}

/// Per-table comparison: row count and an order-independent checksum of the rows' text.
func tableChecksums(_ database: TestDatabase) throws -> String {
    let tables = try database.psql("""
        SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
        """).split(separator: "\n").map(String.init)
    var lines: [String] = []
    for table in tables {
        let sum = try database.psql("SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') FROM \(table) t")
        lines.append("\(table) \(sum)")
    }
    let sequences = try database.psql("""
        SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences ORDER BY 1
        """).split(separator: "\n").map(String.init)
    for sequence in sequences {
        lines.append("\(sequence) " + (try database.psql("SELECT last_value || ' ' || is_called FROM \(sequence)")))
    }
    return lines.joined(separator: "\n")
}

/// `pg_dump --schema-only` without the lines that differ between any two runs.
func schemaDump(_ database: TestDatabase) throws -> String {
    let result = try database.server.runTool("pg_dump", ["--schema-only", "--no-sync"], database: database.name)
    #expect(result.status == 0, "pg_dump failed: \(result.stderr)")
    return result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") && !$0.hasPrefix("-- Dumped") }
        .joined(separator: "\n")
}

/// Extracts an archive with GNU tar into a fresh directory and returns the top directory.
func extract(_ archive: String, into dir: String) throws -> String {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let result = try runProcess("tar", ["-xzf", archive, "-C", dir])
    #expect(result.status == 0, "tar -xzf failed: \(result.stderr)")
    let top = try FileManager.default.contentsOfDirectory(atPath: dir)
    #expect(top.count == 1)
    return dir + "/" + (top.first ?? "")
}

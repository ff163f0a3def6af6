import Foundation
import PGWire
import SentientSnap
import TestHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A restore request aimed at database `room` of a private cluster.
private func privateRequest(_ archive: String, server: PrivatePostgres, roomsDir: String) throws -> RestoreRequest {
    var flags = SettingFlags()
    flags.host = "127.0.0.1"
    flags.pgPort = server.port
    flags.pgUser = "postgres"
    flags.pgDatabase = "room"
    flags.roomsDir = roomsDir
    let settings = try RoomSettings.resolve(room: "pharaohs", flags: flags, environment: ["SENTIENT_ENV_DIR": "/nonexistent", "PGPASSFILE": TestPostgres.noPassfile])
    var request = RestoreRequest(settings: settings, archive: archive)
    request.roomControl = .none
    request.waitForReady = false
    request.restoreMQTT = false
    return request
}

/// A live room (database `room`, 123 events) on a private cluster the test may restart or
/// starve, its config tree, and a request to restore a 120,000-event archive over it.
private struct PrivateLiveRoom {
    let source: RoomFixture
    let server: PrivatePostgres
    let rooms: String
    let request: RestoreRequest
    let before: String
    let configBefore: [String: Data]

    init(prefix: String) throws {
        source = try RoomFixture(events: 120_000, prefix: prefix)
        let archive = try backup(source)
        server = try TestPostgres.startPrivate()
        try server.psql("CREATE DATABASE room")
        try server.psql(String(contentsOfFile: fixturePath("event-store.sql"), encoding: .utf8), database: "room")
        try server.psql("INSERT INTO events (ts, level, event, room_id) SELECT now(), 'info', 'live', 'pharaohs' FROM generate_series(1, 123)", database: "room")
        rooms = source.dir.path + "/rooms-private"
        try FileManager.default.createDirectory(atPath: rooms, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixturePath("rooms/pharaohs"), toPath: rooms + "/pharaohs")
        request = try privateRequest(archive, server: server, roomsDir: rooms)
        before = try server.psql(Self.liveStateSQL, database: "room")
        configBefore = try treeContents(rooms + "/pharaohs")
    }

    static let liveStateSQL = "SELECT count(*) || ' ' || md5(string_agg(event_id::text || event, ',' ORDER BY event_id)) FROM events"

    func liveState() throws -> String {
        try server.psql(Self.liveStateSQL, database: "room")
    }

    func leftovers() throws -> String {
        try server.psql("SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'room_%'")
    }
}

@Suite("restore under faults", .timeLimit(.minutes(30)))
struct RestoreFaultTests {
    @Test("private cluster: the server restarts during the staging restore: the live room is as before")
    func serverRestart() throws {
        let live = try PrivateLiveRoom(prefix: "rf_src")
        let server = live.server

        // pg_ctl restart (immediate) while the staging COPY runs.
        var restarted = false
        let outcome = try whileRunning({ try RestoreJob(live.request, confirm: { _, _ in true }).run() }) {
            if pollUntil(60, { (try? server.psql("SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'room_restore_%' AND query ILIKE 'COPY%'")) ?? "0" != "0" }) {
                server.stop(mode: "immediate")
                try server.start()
                restarted = true
            }
        }
        #expect(restarted, "the staging COPY was never seen")
        guard case .failure(let error) = outcome else { Issue.record("the restore succeeded across a server restart"); return }
        #expect("\(error)".contains("nothing was changed"), "\(error)")
        #expect(try live.liveState() == live.before)
        #expect(try treeContents(live.rooms + "/pharaohs") == live.configBefore)
        #expect(try live.leftovers() == "", "the staging database was dropped once the server was back")
    }

    @Test("private cluster: the staging database's disk (a 5 MB tmpfs tablespace) fills up: the live room is as before",
          .enabled(if: Tmpfs.canMount, "needs root to mount a tmpfs"))
    func serverDiskFull() throws {
        let live = try PrivateLiveRoom(prefix: "rf_full_src")
        let server = live.server
        let tiny = try Tmpfs(at: live.source.dir.path + "/tiny", size: "5m")
        defer { withExtendedLifetime(tiny) {} }
        if geteuid() == 0, let pw = getpwnam("postgres") { chown(tiny.path, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        chmod(live.source.dir.path, 0o755)
        try server.psql("CREATE TABLESPACE tiny LOCATION '\(tiny.path)'")
        try server.psql("ALTER ROLE postgres SET default_tablespace = tiny")
        let full = #expect(throws: (any Error).self) { _ = try RestoreJob(live.request, confirm: { _, _ in true }).run() }
        #expect("\(full!)".contains("No space left on device") || "\(full!)".contains("could not extend"), "\(full!)")
        #expect("\(full!)".contains("nothing was changed"), "\(full!)")
        try server.psql("ALTER ROLE postgres RESET default_tablespace")
        #expect(try live.liveState() == live.before)
        #expect(try treeContents(live.rooms + "/pharaohs") == live.configBefore)
        #expect(try live.leftovers() == "")
        try server.psql("DROP TABLESPACE tiny")
    }

    @Test("a crash between the two renames of the swap: the next restore says exactly what to rename, changes nothing",
          arguments: ["rf_swap", "rf_swap_long_room_database_name_of_a_venue_with_many_rooms"])
    func interruptedSwap(prefix: String) throws {
        let source = try RoomFixture(events: 200, prefix: "rf_swap_src")
        let archive = try backup(source)
        let live = try RoomFixture(events: 42, prefix: prefix)
        let name = live.database.name
        // A name near 63 bytes gets hash-shortened staging and pre-restore names.
        let previous = RestoreJob.databaseName(name, suffix: "_pre_restore_20240101_000000")
        let staging = RestoreJob.databaseName(name, suffix: "_restore_20240101_000000")
        #expect((previous == name + "_pre_restore_20240101_000000") == (prefix == "rf_swap"))
        // What a swap leaves when it dies after "live -> previous" and before "staging -> live".
        try TestPostgres.shared().admin { admin in
            try admin.execute("CREATE DATABASE \(quoteIdentifier(staging)) TEMPLATE template0")
            try admin.execute("ALTER DATABASE \(quoteIdentifier(name)) ALLOW_CONNECTIONS false")
            try admin.execute("ALTER DATABASE \(quoteIdentifier(name)) RENAME TO \(quoteIdentifier(previous))")
        }
        let request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: live.roomsDir)
        let error = #expect(throws: SnapError.self) { _ = try RestoreJob(request, confirm: { _, _ in true }).run() }
        let message = error?.message ?? ""
        #expect(message.contains("stopped between the two renames"), "\(message)")
        #expect(message.contains("ALTER DATABASE \(quoteIdentifier(staging)) RENAME TO \(quoteIdentifier(name))"), "\(message)")
        #expect(message.contains("ALTER DATABASE \(quoteIdentifier(previous)) RENAME TO \(quoteIdentifier(name))"), "\(message)")
        #expect(try databases(like: String(name.prefix(20))) == [previous, staging].sorted(), "nothing was created or dropped")
        // The runbook's undo works and the room is back.
        try TestPostgres.shared().admin { admin in
            try admin.execute("ALTER DATABASE \(quoteIdentifier(previous)) RENAME TO \(quoteIdentifier(name))")
            try admin.execute("ALTER DATABASE \(quoteIdentifier(name)) ALLOW_CONNECTIONS true")
            try admin.execute("DROP DATABASE \(quoteIdentifier(staging))")
        }
        #expect(try live.database.psql("SELECT count(*) FROM events") == "42")
    }
}

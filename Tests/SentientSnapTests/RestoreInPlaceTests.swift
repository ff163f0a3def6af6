import Foundation
import PGWire
import SentientSnap
import TestHarness
import Testing

/// A live room database owned by a login role without CREATEDB, with the event store
/// created by that role.
struct NoCreateDBRoom {
    let role: String
    let database: TestDatabase

    init(events: Int) throws {
        let server = try TestPostgres.shared()
        let role = "snap_nocreatedb_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        try server.admin { try $0.execute("CREATE ROLE \(quoteIdentifier(role)) LOGIN NOCREATEDB") }
        let database = try server.createDatabase(prefix: "rip")
        try server.admin { try $0.execute("ALTER DATABASE \(quoteIdentifier(database.name)) OWNER TO \(quoteIdentifier(role))") }
        self.role = role
        self.database = database
        try database.psql("ALTER SCHEMA public OWNER TO \(quoteIdentifier(role));\nSET ROLE \(quoteIdentifier(role));\n"
            + String(contentsOfFile: fixturePath("event-store.sql"), encoding: .utf8))
        try database.psql("SET ROLE \(quoteIdentifier(role)); INSERT INTO events (ts, level, event, room_id) SELECT now(), 'info', 'live', 'pharaohs' FROM generate_series(1, \(events))")
    }
}

@Suite("restore --in-place", .timeLimit(.minutes(30)))
struct RestoreInPlaceTests {
    @Test("a user without CREATEDB: the staging restore says CREATEDB, --in-place restores into the live database")
    func inPlaceWithoutCreateDB() throws {
        let source = try RoomFixture(events: 5_000, prefix: "rip_src")
        let archive = try backup(source)
        let live = try NoCreateDBRoom(events: 42)
        let roomsDir = source.dir.path + "/rooms-live"
        var request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: roomsDir)
        request.settings.pgUser = live.role

        let refused = #expect(throws: SnapError.self) { _ = try RestoreJob(request, confirm: { _, _ in true }).run() }
        #expect(refused?.message.contains("CREATEDB") == true, "\(String(describing: refused))")
        #expect(try live.database.psql("SELECT count(*) FROM events") == "42")

        request.inPlace = true
        var shownPlan: [String] = []
        let result = try RestoreJob(request, confirm: { plan, _ in
            shownPlan = plan
            return true
        }).run()
        #expect(shownPlan.contains { $0.contains("IN PLACE") && $0.contains("NOT atomic") }, "\(shownPlan)")
        #expect(result.tables["public.events"] == 5_000)
        #expect(result.previous_database == nil)
        #expect(try tableChecksums(live.database) == tableChecksums(source.database))
        #expect(try live.database.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'events'") == live.role)
        #expect(try databases(like: live.database.name + "_").isEmpty, "no staging or pre-restore database")
        #expect(FileManager.default.fileExists(atPath: roomsDir + "/pharaohs"))
    }

    @Test("--in-place by a user who does not own the database: refused, nothing changed")
    func inPlaceNotOwner() throws {
        let source = try RoomFixture(events: 10, prefix: "rip_own_src")
        let archive = try backup(source)
        let live = try NoCreateDBRoom(events: 3)
        let other = "snap_notowner_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        try TestPostgres.shared().admin { try $0.execute("CREATE ROLE \(quoteIdentifier(other)) LOGIN") }
        var request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: source.dir.path + "/rooms-x")
        request.settings.pgUser = other
        request.inPlace = true
        let error = #expect(throws: SnapError.self) { _ = try RestoreJob(request, confirm: { _, _ in true }).run() }
        #expect(error?.message.contains("to own the database") == true, "\(String(describing: error))")
        #expect(error?.message.contains("nothing was changed") == true)
        #expect(try live.database.psql("SELECT count(*) FROM events") == "3")
        #expect(!FileManager.default.fileExists(atPath: source.dir.path + "/rooms-x"))
    }

    @Test("--in-place honours --no-acl, --no-owner and --no-tablespaces as the staging restore does")
    func inPlaceHonoursLeaveOutFlags() throws {
        let source = try RoomFixture(events: 10, prefix: "rip_acl_src")
        let reader = "snap_rip_reader_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        try TestPostgres.shared().admin { try $0.execute("CREATE ROLE \(quoteIdentifier(reader))") }
        try source.database.psql("GRANT SELECT ON events TO \(quoteIdentifier(reader)); ALTER TABLE events OWNER TO \(quoteIdentifier(reader))")
        let archive = try backup(source)
        let live = try RoomFixture(events: 3, prefix: "rip_acl_live")
        var request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: source.dir.path + "/rooms-acl")
        request.inPlace = true
        request.noACL = true
        request.noOwner = true
        _ = try RestoreJob(request, confirm: { _, _ in true }).run()
        #expect(try tableChecksums(live.database) == tableChecksums(source.database))
        #expect(try live.database.psql("SELECT coalesce(relacl::text, 'none') FROM pg_class WHERE relname = 'events'") == "none")
        #expect(try live.database.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'events'") == live.database.settings.user)
    }

    @Test("a room database read-only by default (default_transaction_read_only): the staging restore and --in-place restore it, and it stays so")
    func readOnlyByDefault() throws {
        let source = try RoomFixture(events: 3_000, prefix: "rip_ro_src")
        try source.database.psql("ALTER DATABASE \(quoteIdentifier(source.database.name)) SET default_transaction_read_only = on")
        let archive = try backup(source)
        for inPlace in [false, true] {
            let live = try RoomFixture(events: 3, prefix: "rip_ro_live")
            try live.database.psql("ALTER DATABASE \(quoteIdentifier(live.database.name)) SET default_transaction_read_only = on")
            var request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: source.dir.path + "/rooms-ro-\(inPlace)")
            request.inPlace = inPlace
            let result = try RestoreJob(request, confirm: { _, _ in true }).run()
            #expect(result.tables["public.events"] == 3_000, "in place: \(inPlace)")
            #expect(try tableChecksums(live.database) == tableChecksums(source.database), "in place: \(inPlace)")
            #expect(try live.database.psql("SHOW default_transaction_read_only") == "on", "in place: \(inPlace)")
        }
    }
}

import ArchiveWriter
import Foundation
import PGDump
import PGWire
import SentientSnap
import TestHarness
import Testing

/// Backs up `fixture` and returns the archive path.
func backup(_ fixture: RoomFixture) throws -> String {
    var request = BackupRequest(settings: try fixture.settings(), outputDirectory: fixture.outputDir)
    request.jobs = 2
    return try BackupJob(request).run().archive
}

/// A restore request into another database and rooms dir on the same server.
func restoreRequest(_ archive: String, into target: TestDatabase, room: String, roomsDir: String) throws -> RestoreRequest {
    var flags = SettingFlags()
    flags.host = target.settings.host
    flags.pgPort = target.settings.port
    flags.pgUser = target.settings.user
    flags.pgDatabase = target.name
    flags.roomsDir = roomsDir
    let settings = try RoomSettings.resolve(room: room, flags: flags, environment: ["SENTIENT_ENV_DIR": "/nonexistent"])
    var request = RestoreRequest(settings: settings, archive: archive)
    request.roomControl = .none
    request.waitForReady = false
    return request
}

func databaseExists(_ name: String) throws -> Bool {
    try TestPostgres.shared().admin { try $0.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).count > 0 }
}

func databases(like prefix: String) throws -> [String] {
    try TestPostgres.shared().admin {
        try $0.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1", [prefix]).rows.compactMap { $0[0] }
    }
}

/// Every file below `root` with its bytes, for byte-for-byte comparison.
func treeContents(_ root: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let relative = enumerator?.nextObject() as? String {
        let path = root + "/" + relative
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            out[relative] = FileManager.default.contents(atPath: path)
        }
    }
    return out
}

@Suite("restore", .timeLimit(.minutes(30)))
struct RestoreTests {
    @Test("backup room A, restore as room B: database and config equal A's")
    func roundTripToAnotherRoom() throws {
        let source = try RoomFixture(events: 30_000, prefix: "rs_a")
        try source.database.psql(richSchemaExtras)
        let archive = try backup(source)
        let target = try TestPostgres.shared().createDatabase(prefix: "rs_b")
        let roomsB = source.dir.path + "/rooms-b"
        var request = try restoreRequest(archive, into: target, room: "tomb", roomsDir: roomsB)
        request.jobs = 2
        var confirmed = false
        let result = try RestoreJob(request, confirm: { _, warnings in
            confirmed = true
            #expect(warnings.contains { $0.contains("belongs to room 'pharaohs'") })
            return true
        }).run()
        #expect(confirmed)
        #expect(result.tables["public.events"] == 30_000)
        #expect(result.previous_database != nil, "the empty database B had is kept aside")
        #expect(try schemaDump(target) == schemaDump(source.database))
        #expect(try tableChecksums(target) == tableChecksums(source.database))
        #expect(try treeContents(roomsB + "/tomb") == treeContents(source.roomsDir + "/pharaohs"))
        #expect(try databases(like: target.name + "_restore_").isEmpty, "no staging database is left")
    }

    @Test("restoring over a live room: sessions are cut, the old database is kept, late rows are counted")
    func restoreOverLiveRoom() throws {
        let source = try RoomFixture(events: 20_000, prefix: "rs_live_src")
        let archive = try backup(source)
        let live = try RoomFixture(events: 500, prefix: "rs_live")
        let idle = try live.database.connect()   // a session that just sits there
        _ = try idle.query("SELECT 1")
        let stop = ManagedAtomicFlag()
        let writer = Thread {
            var connection = try? live.database.connect()
            while !stop.isSet {
                if connection == nil || !(connection!.isAlive) {
                    Thread.sleep(forTimeInterval: 0.05)
                    connection = try? live.database.connect()
                    continue
                }
                _ = try? connection!.execute("INSERT INTO events (ts, level, event, room_id) VALUES (now(), 'info', 'late', 'pharaohs')")
            }
        }
        writer.start()
        defer { stop.set() }
        let request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: live.roomsDir)
        let result = try RestoreJob(request, confirm: { _, _ in true }).run()
        Thread.sleep(forTimeInterval: 0.3)
        stop.set()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(!idle.isAlive || (try? idle.query("SELECT 1")) == nil, "the idle session on the old database was terminated")
        let previous = try #require(result.previous_database)
        let keptRows = try TestPostgres.shared().admin { _ in
            try Connection(live.database.settings.with(database: previous)).query("SELECT count(*) FROM events").rows[0].get(0, as: Int64.self)
        }
        #expect(keptRows >= 500, "the old database keeps its rows")
        let nowRows = Int64(try live.database.psql("SELECT count(*) FROM events"))!
        #expect(nowRows >= 20_000)
        // Counted above the restored events' highest event_id, so never more than arrived in all.
        let late = try #require(result.rows_after_swap)
        #expect(late >= 0 && late <= nowRows - 20_000, "\(late) late rows of \(nowRows - 20_000) rows past the restored ones")
        #expect(try live.database.psql("SELECT count(*) FROM events WHERE event_id <= 20000") == "20000")
    }

    @Test("two restores in the same second: the second keeps the first's pre-restore copies and takes the next free names")
    func twoRestoresInOneSecond() throws {
        let source = try RoomFixture(events: 20, prefix: "rs_sec_src")
        let archive = try backup(source)
        let target = try RoomFixture(events: 3, prefix: "rs_sec_dst")
        var request = try restoreRequest(archive, into: target.database, room: "pharaohs", roomsDir: target.roomsDir)
        request.now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try RestoreJob(request, confirm: { _, _ in true }).run()
        let second = try RestoreJob(request, confirm: { _, _ in true }).run()
        #expect(first.previous_database != nil && second.previous_database != nil)
        #expect(first.previous_database != second.previous_database, "\(String(describing: first.previous_database))")
        #expect(first.previous_config_dir != second.previous_config_dir)
        for kept in [first.previous_database, second.previous_database].compactMap({ $0 }) {
            #expect(try databaseExists(kept), "\(kept) was kept")
        }
        #expect(try target.database.psql("SELECT count(*) FROM events") == "20")
    }

    @Test("a staging restore killed half-way leaves the live room untouched")
    func stagingKilled() throws {
        let source = try RoomFixture(events: 150_000, prefix: "rs_kill_src")
        let archive = try backup(source)
        let live = try RoomFixture(events: 321, prefix: "rs_kill")
        let before = try tableChecksums(live.database)
        let configBefore = try treeContents(live.roomsDir + "/pharaohs")
        let killer = Thread {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let killed = try? TestPostgres.shared().admin { admin in
                    try admin.query("""
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE datname LIKE $1 AND query ILIKE 'COPY%'
                        """, [live.database.name + "_restore_%"]).count
                }
                if (killed ?? 0) > 0 { return }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        killer.start()
        let request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: live.roomsDir)
        let error = #expect(throws: (any Error).self) { _ = try RestoreJob(request, confirm: { _, _ in true }).run() }
        #expect("\(error!)".contains("nothing was changed"), "\(error!)")
        #expect(try tableChecksums(live.database) == before)
        #expect(try treeContents(live.roomsDir + "/pharaohs") == configBefore)
        #expect(try databases(like: live.database.name + "_restore_").isEmpty, "the staging database was dropped")
        #expect(try databases(like: live.database.name + "_pre_restore_").isEmpty)
    }

    @Test("one corrupt byte: refused before any change, as a damaged archive")
    func corruptArchiveRefused() throws {
        let source = try RoomFixture(events: 2_000, prefix: "rs_bad_src")
        let archive = try backup(source)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        bytes[bytes.count / 2] ^= 0x20
        let damaged = source.dir.path + "/damaged.tar.gz"
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let live = try RoomFixture(events: 77, prefix: "rs_bad")
        let before = try tableChecksums(live.database)
        let request = try restoreRequest(damaged, into: live.database, room: "pharaohs", roomsDir: live.roomsDir)
        let error = #expect(throws: SnapError.self) { _ = try RestoreJob(request, confirm: { _, _ in true }).run() }
        #expect(error?.code == .damagedArchive)
        #expect(try tableChecksums(live.database) == before)
        #expect(try databases(like: live.database.name + "_").isEmpty)
    }

    @Test("verify catches a sidecar mismatch and a manifest checksum that does not match a file")
    func verifyCatchesMismatches() throws {
        let source = try RoomFixture(events: 100, prefix: "rs_ver")
        let archive = try backup(source)
        #expect(try ArchiveInspector.inspect(archive).sidecar == "ok")
        try "0000000000000000000000000000000000000000000000000000000000000000  x.tar.gz\n"
            .write(toFile: archive + ".sha256", atomically: true, encoding: .utf8)
        let sidecar = #expect(throws: SnapError.self) { _ = try ArchiveInspector.inspect(archive) }
        #expect(sidecar?.message.contains(".sha256 does not match") == true)

        // Rebuild the archive with a config file changed after the manifest was written.
        let dir = source.dir.path + "/tamper"
        let top = try extract(archive, into: dir)
        try "tampered: true\n".write(toFile: top + "/config/room.yaml", atomically: true, encoding: .utf8)
        let tampered = source.dir.path + "/tampered.tar.gz"
        let tar = try runProcess("tar", ["-czf", tampered, "-C", dir, (top as NSString).lastPathComponent])
        #expect(tar.status == 0)
        let error = #expect(throws: SnapError.self) { _ = try ArchiveInspector.inspect(tampered) }
        #expect(error?.message.contains("config/room.yaml") == true)
        #expect(error?.code == .damagedArchive)
    }

    @Test("unreachable PostgreSQL: a clear error naming the port, nothing changed")
    func unreachableServer() throws {
        let source = try RoomFixture(events: 10, prefix: "rs_unreach")
        let archive = try backup(source)
        var flags = SettingFlags()
        flags.host = "127.0.0.1"
        flags.pgPort = try freeLoopbackPort()
        flags.roomsDir = source.dir.path + "/elsewhere"
        let settings = try RoomSettings.resolve(room: "pharaohs", flags: flags, environment: [:])
        var request = RestoreRequest(settings: settings, archive: archive)
        request.roomControl = .none
        request.waitForReady = false
        let error = #expect(throws: PGError.self) { _ = try RestoreJob(request, confirm: { _, _ in true }).run() }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message.contains("--pg-port") == true)
        #expect(!FileManager.default.fileExists(atPath: source.dir.path + "/elsewhere"))
    }

    @Test("the wait follows /ready: 503 first, then 200")
    func waitsForReady() throws {
        let source = try RoomFixture(events: 10, prefix: "rs_ready")
        let archive = try backup(source)
        let target = try TestPostgres.shared().createDatabase(prefix: "rs_ready_b")
        let server = try ReadyServer(notReadyFor: 1.0)
        var request = try restoreRequest(archive, into: target, room: "pharaohs", roomsDir: source.dir.path + "/rooms-b")
        request.waitForReady = true
        request.readyTimeout = 20
        request.settings.apiPort = server.port
        let result = try RestoreJob(request, confirm: { _, _ in true }).run()
        #expect(result.ready == true)
        #expect(result.attention.isEmpty)
        #expect(server.requests >= 2, "it asked again after the 503")

        let never = try ReadyServer(notReadyFor: 1000)
        var late = try restoreRequest(archive, into: target, room: "pharaohs", roomsDir: source.dir.path + "/rooms-c")
        late.waitForReady = true
        late.readyTimeout = 1.5
        late.settings.apiPort = never.port
        let lateResult = try RestoreJob(late, confirm: { _, _ in true }).run()
        #expect(lateResult.ready == false)
        #expect(lateResult.attention.first?.contains("/ready") == true)
    }
}

/// Extra objects for the round trip: a second schema, keys, a foreign key, comments.
let richSchemaExtras = """
    CREATE SCHEMA ops;
    CREATE TABLE ops.sessions (id serial PRIMARY KEY, code text UNIQUE NOT NULL, players int CHECK (players > 0));
    CREATE TABLE ops.hints (id bigserial PRIMARY KEY, session_id int REFERENCES ops.sessions(id), body text);
    CREATE INDEX hints_body ON ops.hints (lower(body));
    COMMENT ON TABLE ops.hints IS 'hints given';
    INSERT INTO ops.sessions (code, players) SELECT 'S' || g, 1 + g % 6 FROM generate_series(1, 50) g;
    INSERT INTO ops.hints (session_id, body) SELECT 1 + g % 50, 'Hint ' || g FROM generate_series(1, 500) g;
    """

/// A stand-in for the room's API: `/ready` answers 503 from the first request on for a while,
/// then 200. (Timed from the first request, not from creation: on a loaded machine the restore
/// may reach its wait long after the server was made.)
final class ReadyServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private var firstRequest: Date?
    private let lock = NSLock()
    private var count = 0
    var requests: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    init(notReadyFor seconds: Double) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw HarnessError("ReadyServer: cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.fd = fd
        let listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = recv(client, &buffer, buffer.count, 0)
                lock.lock()
                count += 1
                let first = firstRequest ?? Date()
                firstRequest = first
                lock.unlock()
                let ready = Date().timeIntervalSince(first) >= seconds
                let response = ready ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\nConnection: close\r\n\r\nstarting"
                _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

@Suite("verify --restore-test", .timeLimit(.minutes(30)))
struct RestoreTestTests {
    @Test("restores into a throwaway database, compares row counts, drops it")
    func restoreTest() throws {
        let source = try RoomFixture(events: 3_000, prefix: "rt_src")
        let archive = try backup(source)
        let inspection = try ArchiveInspector.inspect(archive)
        var flags = SettingFlags()
        flags.host = source.database.settings.host
        flags.pgPort = source.database.settings.port
        flags.pgUser = source.database.settings.user
        flags.pgDatabase = "rt_check"
        let settings = try RoomSettings.resolve(room: "pharaohs", flags: flags, environment: ["SENTIENT_ENV_DIR": "/nonexistent"])
        let rows = try RestoreTest.run(archive: archive, inspection: inspection, settings: settings)
        #expect(rows["public.events"] == 3_000)
        #expect(try databases(like: "rt_check_verify_").isEmpty, "the throwaway database is dropped")
    }
}

import Foundation
import PGWire
import TestHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers for fault injection

/// Runs the CLI on a thread while `fault` runs on this one; returns the CLI's result.
func snapWithFault(
    _ args: [String], environment: [String: String] = [:], fault: () throws -> Void
) throws -> ToolResult {
    try whileRunning({ try snap(args, environment: environment) }, fault: fault).get()
}

/// A database with 400,000 rows of hex text (~35 MB as COPY text), so a backup's COPY lasts long
/// enough to be hit. Made once per test process as a template and copied per test (fast).
enum BulkTemplate {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var name: String?
    static let rows = 400_000
    static let sql = """
        CREATE TABLE bulk (id int PRIMARY KEY, payload text NOT NULL);
        INSERT INTO bulk SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) FROM generate_series(1, \(rows)) g;
        """

    /// A fresh database (on the shared server) holding the event store, 10 events and `bulk`.
    static func database(prefix: String) throws -> TestDatabase {
        let server = try TestPostgres.shared()
        lock.lock()
        defer { lock.unlock() }
        if name == nil {
            let template = try server.createDatabase(prefix: "bulk_tmpl")
            try template.psql(String(contentsOfFile: fixturePath("event-store.sql"), encoding: .utf8))
            try template.psql("INSERT INTO events (ts, level, event, room_id) SELECT now(), 'info', 'x', 'pharaohs' FROM generate_series(1, 10)")
            try template.psql(sql)
            name = template.name
        }
        let copy = try server.createDatabase(prefix: prefix)
        try server.dropDatabase(copy.name)
        try server.admin { try $0.execute("CREATE DATABASE \(quoteIdentifier(copy.name)) TEMPLATE \(quoteIdentifier(name!))") }
        return copy
    }
}

extension CLIRoom {
    /// The same room, its database swapped for a copy of the bulk template.
    init(bulk prefix: String) throws {
        database = try BulkTemplate.database(prefix: prefix)
        dir = try TempDir(prefix: "snap-cli")
        for sub in ["out", "rooms", "env"] {
            try FileManager.default.createDirectory(atPath: dir.path + "/" + sub, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: fixturePath("rooms/pharaohs"), toPath: rooms + "/pharaohs")
        try writeEnv("# written by the test\n")
    }

    /// Non-hidden and hidden files left in the output directory.
    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: output).sorted()
    }
}

/// Terminates the backup's COPY (`application_name = sentient-snap`) on `database`; true if one was hit.
func terminateCopy(on database: String, admin: ConnectionSettings) -> Bool {
    let hit = try? Connection(admin).query("""
        SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity
        WHERE datname = $1 AND application_name = 'sentient-snap' AND query ILIKE 'COPY%' AND state = 'active'
        """, [database]).count
    return (hit ?? 0) > 0
}

/// Whether a backup's COPY is running on `database`.
func copyRunning(on database: String, admin: ConnectionSettings) -> Bool {
    let hit = try? Connection(admin).query("""
        SELECT 1 FROM pg_catalog.pg_stat_activity
        WHERE datname = $1 AND application_name = 'sentient-snap' AND query ILIKE 'COPY%' AND state = 'active'
        """, [database]).count
    return (hit ?? 0) > 0
}

// MARK: - Tests

@Suite("backup under faults", .timeLimit(.minutes(30)))
struct BackupFaultTests {
    @Test("the connection is terminated mid-COPY: clear error, no archive, room unaffected")
    func terminatedMidCopy() throws {
        let room = try CLIRoom(bulk: "flt_term")
        let admin = try TestPostgres.shared().adminSettings
        var killed = false
        let result = try snapWithFault(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt"] + room.flags()) {
            killed = pollUntil { terminateCopy(on: room.database.name, admin: admin) }
        }
        #expect(killed, "the COPY was never seen")
        #expect(result.status == 69 || result.status == 1, "\(result)")
        #expect(result.stderr.contains("terminat") || result.stderr.contains("connection"), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "no crash: \(result.stderr)")
        let left = try room.leftovers()
        #expect(left.isEmpty, "\(left)")
        #expect(try room.database.psql("SELECT count(*) FROM bulk") == String(BulkTemplate.rows))
    }

    @Test("the server stops mid-dump (a private cluster): exit 69, no archive")
    func serverStoppedMidDump() throws {
        let server = try TestPostgres.startPrivate()
        try server.psql("CREATE DATABASE room")
        try server.psql(BulkTemplate.sql, database: "room")
        let dir = try TempDir(prefix: "snap-flt-stop")
        try FileManager.default.createDirectory(atPath: dir.path + "/out", withIntermediateDirectories: true)
        let flags = ["--host", "127.0.0.1", "--pg-port", String(server.port), "--pg-user", "postgres", "--pg-database", "room",
                     "--no-config", "--no-mqtt", "--env-dir", dir.path]
        _ = FileManager.default.createFile(atPath: dir.path + "/pharaohs.env", contents: Data())
        var stopped = false
        let result = try snapWithFault(["backup", "pharaohs", dir.path + "/out", "--allow-root"] + flags) {
            if pollUntil(60, { copyRunning(on: "room", admin: server.adminSettings) }) {
                server.stop(mode: "immediate")
                stopped = true
            }
        }
        #expect(stopped, "the COPY was never seen")
        #expect(result.status == 69 || result.status == 1, "\(result)")
        #expect(!result.stderr.isEmpty, "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/out").isEmpty)
        // The room's data survives the crash.
        try server.start()
        #expect(try server.psql("SELECT count(*) FROM bulk", database: "room") == String(BulkTemplate.rows))
    }

    @Test("a session statement_timeout (PGOPTIONS) does not cut the dump: the tool sets its own, as pg_dump does")
    func statementTimeout() throws {
        let room = try CLIRoom(bulk: "flt_stmt")
        let result = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt", "--json"] + room.flags(),
                              environment: ["PGOPTIONS": "-c statement_timeout=50"])
        #expect(result.status == 0, "\(result)")
        let archive = try room.leftovers().filter { $0.hasSuffix(".tar.gz") }
        #expect(archive.count == 1)
        let verify = try snap(["verify", room.output + "/" + (archive.first ?? "")])
        #expect(verify.status == 0, "\(verify)")
    }

    @Test("a lock held by a long ALTER TABLE: the backup waits --lock-timeout, then fails clearly")
    func lockTimeout() throws {
        let room = try CLIRoom()
        let holder = try room.database.connect()
        try holder.execute("BEGIN")
        try holder.execute("ALTER TABLE events ADD COLUMN flt_tmp int")
        defer { try? holder.execute("ROLLBACK") }
        let started = Date()
        let result = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt", "--lock-timeout", "1s"] + room.flags())
        let took = Date().timeIntervalSince(started)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("could not lock the room's tables within 1s"), "\(result.stderr)")
        #expect(result.stderr.contains("--lock-timeout"))
        #expect(took >= 1 && took < 20, "waited \(took) s")
        #expect(try room.outputIsEmpty())
    }

    @Test("the output disk fills up (2 MB tmpfs): exit 74 naming the directory, .partial removed",
          .enabled(if: Tmpfs.canMount, "needs root to mount a tmpfs"))
    func diskFull() throws {
        let room = try CLIRoom(bulk: "flt_full")
        let small = try Tmpfs(at: room.dir.path + "/small", size: "2m")
        let mountPoint = small.path
        defer { withExtendedLifetime(small) {} }
        let result = try snap(["backup", "pharaohs", mountPoint, "--allow-root", "--no-mqtt"] + room.flags())
        #expect(result.status == 74, "\(result)")
        #expect(result.stderr.contains("no space left"), "\(result.stderr)")
        #expect(result.stderr.contains(mountPoint), "the message names the directory: \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).isEmpty, "nothing is left on the full disk")
    }

    @Test("SIGINT / SIGTERM during a backup: exit 130 / 143, partial file removed", arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interrupted(_ signal: Int32, _ status: Int32) throws {
        let room = try CLIRoom(bulk: "flt_sig\(signal)")
        var sawPartial = false
        let result = try snapWithFault(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt"] + room.flags()) {
            sawPartial = try pollUntil { try room.leftovers().contains { $0.hasSuffix(".partial") } }
            usleep(100_000)
            for pid in processes(withCommandLineContaining: room.output) {
                kill(pid, signal)
            }
        }
        #expect(sawPartial)
        #expect(result.status == status, "\(result)")
        #expect(result.stderr.contains("interrupted; partial output removed"), "\(result.stderr)")
        let left = try room.leftovers()
        #expect(left.isEmpty, "\(left)")
        let admin = try TestPostgres.shared().adminSettings
        #expect(pollUntil(5) { !copyRunning(on: room.database.name, admin: admin) }, "the server-side COPY ended")
    }

    @Test("two backups of one room at once: the second waits for the first's lock, both archives are complete")
    func concurrentBackups() throws {
        let room = try CLIRoom(bulk: "flt_two")
        let args = ["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt", "--json"] + room.flags()
        var second: ToolResult?
        let first = try snapWithFault(args) {
            // Start the second once the first holds the lock.
            try pollUntil { try room.leftovers().contains(".sentient-pharaohs.lock") }
            second = try snap(args)
        }
        #expect(first.status == 0, "\(first)")
        #expect(second?.status == 0, "\(second!)")
        #expect(second?.stderr.contains("waiting for it to finish") == true, "\(second!.stderr)")
        let archives = try room.leftovers().filter { $0.hasSuffix(".tar.gz") }
        #expect(archives.count == 2, "\(archives)")
        let hidden = try room.leftovers().filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "no lock or partial file is left: \(hidden)")
        for archive in archives {
            let verify = try snap(["verify", room.output + "/" + archive])
            #expect(verify.status == 0, "\(verify)")
        }
    }
}

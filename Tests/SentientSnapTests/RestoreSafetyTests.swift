import Foundation
import PGWire
@testable import SentientSnap
import TestHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A value shared with a thread, read after a semaphore.
private final class Shared<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Runs `body` on its own thread; `wait()` returns its outcome.
private final class Background<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            result = Result { try body() }
            done.signal()
        }
    }

    func wait() -> Result<T, Error> {
        done.wait()
        done.signal()
        return result!
    }
}

/// The first of several events, in the order they arrive.
private final class FirstOf: @unchecked Sendable {
    private let lock = NSLock()
    private let arrived = DispatchSemaphore(value: 0)
    private var first: String?

    func signal(_ name: String) {
        lock.withLock { if first == nil { first = name } }
        arrived.signal()
    }

    /// The first event's name; nil after `seconds` without any.
    func wait(_ seconds: Double = 120) -> String? {
        guard arrived.wait(timeout: .now() + seconds) == .success else { return nil }
        return lock.withLock { first }
    }
}

private func events(in database: TestDatabase, _ name: String? = nil) throws -> String {
    try TestPostgres.shared().admin { _ in
        try Connection(database.settings.with(database: name ?? database.name))
            .query("SELECT count(*) FROM events").rows[0].get(0, as: String.self)
    }
}

private func allowsConnections(_ name: String) throws -> Bool {
    try TestPostgres.shared().admin {
        try $0.query("SELECT datallowconn::text FROM pg_database WHERE datname = $1", [name]).rows[0].get(0, as: String.self) == "true"
    }
}

private func createDatabase(_ name: String) throws {
    try TestPostgres.shared().admin { try $0.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0") }
}

/// An archive of a 300-event room, and a live room of 7 events to restore it over.
private struct Scene {
    let source: RoomFixture
    let archive: String
    let live: RoomFixture
    var name: String { live.database.name }

    init(_ prefix: String) throws {
        source = try RoomFixture(events: 300, prefix: prefix + "_src")
        archive = try backup(source)
        live = try RoomFixture(events: 7, prefix: prefix)
    }

    func request(now: Date = Date()) throws -> RestoreRequest {
        var request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: live.roomsDir)
        request.restoreMQTT = false
        request.now = now
        return request
    }

    func preRestore(_ date: Date) -> String {
        RestoreJob.databaseName(name, suffix: "_pre_restore_" + RestoreJob.stamp(date))
    }
}

@Suite("pre-restore retention rule")
struct PreRestoreRetentionTests {
    private func name(_ date: Date) -> String { "room_pre_restore_" + RestoreJob.stamp(date) }

    @Test("the newest K are kept, older ones dropped; a name dated more than a day ahead is neither dropped nor counted")
    func selection() {
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        let hours = { (h: Double) in self.name(now.addingTimeInterval(h * 3600)) }
        let names = [hours(-30), hours(0), hours(-2), hours(72), hours(23), hours(-500)]
        let two = PreRestoreRetention.select(names, now: now, keep: 2)
        #expect(two.keep == [hours(23), hours(0)], "23 h ahead is within a day: counted")
        #expect(two.drop == [hours(-2), hours(-30), hours(-500)])
        #expect(two.future == [hours(72)])
        let one = PreRestoreRetention.select([hours(0)], now: now, keep: 1)
        #expect(one.keep == [hours(0)] && one.drop.isEmpty)
        #expect(PreRestoreRetention.select(names, now: now, keep: 0).keep.count == 1, "the newest is always kept")
        let many = PreRestoreRetention.select(names, now: now, keep: 10)
        #expect(many.drop.isEmpty && many.future == [hours(72)])
        // Not a real date (month 13): never dropped.
        let odd = PreRestoreRetention.select(["room_pre_restore_20241301_000000", hours(-1), hours(-2)], now: now, keep: 1)
        #expect(odd.future == ["room_pre_restore_20241301_000000"] && odd.drop == [hours(-2)])
    }

    @Test("the plan names each drop with its age and flags one younger than a day; future-dated ones are named as left alone")
    func describe() {
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        let young = name(now.addingTimeInterval(-3 * 3600)), old = name(now.addingTimeInterval(-3 * 86400))
        let future = name(now.addingTimeInterval(5 * 86400))
        let said = DatabaseSwap.describe(PreRestoreRetention(keep: [], drop: [young, old], future: [future]), now: now, keep: 2)
        let line = said.line ?? ""
        #expect(line.contains(young + " (3h 0m old, less than a day old)") && line.contains(old + " (3d 0h old)"), "\(line)")
        #expect(line.contains("leave \(future) alone"), "\(line)")
        #expect(said.warnings.count == 1 && said.warnings[0].contains(young), "\(said.warnings)")
        #expect(DatabaseSwap.describe(PreRestoreRetention(keep: [young], drop: [], future: []), now: now, keep: 2).line == nil)
    }
}

@Suite("restore: pre-restore databases, the room lock, undo, blocked databases", .timeLimit(.minutes(30)))
struct RestoreSafetyTests {
    @Test("restore A, then B to correct it: A's pre-restore database is kept; the plan and --dry-run name what a third would drop")
    func keepsEarlierPreRestore() throws {
        let scene = try Scene("rsafe_keep")
        let t0 = Date()
        let a = try RestoreJob(try scene.request(now: t0.addingTimeInterval(-7200)), confirm: { _, _ in true }).run()
        let preA = try #require(a.previous_database)
        let b = try RestoreJob(try scene.request(now: t0.addingTimeInterval(-3600)), confirm: { _, _ in true }).run()
        #expect(b.dropped_databases.isEmpty, "\(b.dropped_databases)")
        #expect(try databaseExists(preA), "the pre-incident database from restore A is still there")
        #expect(try events(in: scene.live.database, preA) == "7", "and holds the room's data from before A")

        // A third restore keeps 2: it would drop A's. --dry-run and the plan say so first.
        var dry = try scene.request(now: t0)
        dry.dryRun = true
        let plan = try RestoreJob(dry, confirm: { _, _ in true }).run().plan
        #expect(plan.contains { $0.contains(preA) && $0.contains("drop") }, "\(plan)")
        #expect(plan.contains { $0.contains("less than a day old") }, "\(plan)")
        #expect(try databaseExists(preA), "a dry run drops nothing")
        var confirmed: [String] = []
        let c = try RestoreJob(try scene.request(now: t0), confirm: { plan, _ in confirmed = plan; return true }).run()
        #expect(confirmed.contains { $0.contains(preA) && $0.contains("drop") }, "\(confirmed)")
        #expect(c.dropped_databases == [preA])
        #expect(try !databaseExists(preA))
        #expect(try databaseExists(try #require(b.previous_database)))
    }

    @Test("a pre-restore database dated more than a day ahead (clock jump) is never dropped and never counts among the newest")
    func futureDatedUntouched() throws {
        let scene = try Scene("rsafe_future")
        let now = Date()
        let future = scene.preRestore(now.addingTimeInterval(3 * 86400))
        let fiveDays = scene.preRestore(now.addingTimeInterval(-5 * 86400))
        let tenDays = scene.preRestore(now.addingTimeInterval(-10 * 86400))
        for name in [future, fiveDays, tenDays] { try createDatabase(name) }
        let result = try RestoreJob(try scene.request(now: now), confirm: { _, _ in true }).run()
        #expect(try databaseExists(future), "the future-dated database was dropped")
        #expect(try databaseExists(fiveDays), "the future-dated one took the place of one of the newest 2")
        #expect(result.dropped_databases == [tenDays])
        #expect(try !databaseExists(tenDays))
    }

    @Test("a restore waits for the room's lock (held by a backup) before it stages anything, then completes")
    func restoreWaitsForLock() throws {
        let scene = try Scene("rsafe_wait")
        let directory = (scene.archive as NSString).deletingLastPathComponent
        let path = directory + "/.sentient-pharaohs.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        try #require(flock(fd, LOCK_EX) == 0)
        var released = false
        defer { if !released { unlink(path); close(fd) } }
        let first = FirstOf()
        let request = try scene.request()
        let restore = Background {
            defer { first.signal("finished") }
            return try RestoreJob(request, events: { event in
                if case .warning(let text) = event, text.contains("waiting") { first.signal("waiting") }
            }, confirm: { _, _ in true }).run()
        }
        #expect(first.wait() == "waiting", "the restore did not wait for the lock")
        #expect(try databases(like: scene.name + "_restore_").isEmpty, "nothing was staged while waiting")
        #expect(try databases(like: scene.name + "_pre_restore_").isEmpty, "nothing was swapped while waiting")
        #expect(try events(in: scene.live.database) == "7")
        // Release as a backup does: remove the file, then unlock.
        unlink(path)
        close(fd)
        released = true
        let result = try restore.wait().get()
        #expect(result.rows_restored == 300)
        #expect(try events(in: scene.live.database) == "300")
        #expect(!FileManager.default.fileExists(atPath: path), "the restore removed the lock file")
    }

    @Test("a backup into the archive's directory waits for a running restore of the room, then backs up the restored data")
    func backupWaitsForRestore() throws {
        let scene = try Scene("rsafe_bwait")
        let directory = (scene.archive as NSString).deletingLastPathComponent
        let first = FirstOf()
        var backupRequest = BackupRequest(settings: try scene.live.settings(), outputDirectory: directory)
        backupRequest.includeMQTT = false
        backupRequest.now = Date().addingTimeInterval(5)
        let backupStarted = Shared<Background<BackupResult>>()
        _ = try RestoreJob(try scene.request(), confirm: { _, _ in
            // The restore is past its checks and about to stage: a backup now must wait.
            let request = backupRequest
            backupStarted.value = Background {
                defer { first.signal("finished") }
                return try BackupJob(request, events: { event in
                    if case .warning(let text) = event, text.contains("waiting") { first.signal("waiting") }
                }).run()
            }
            #expect(first.wait() == "waiting", "the backup did not wait for the restore")
            return true
        }).run()
        let backup = try #require(backupStarted.value).wait()
        let result = try backup.get()
        #expect(result.total_rows == 300, "the backup saw the restored database")
    }

    @Test("an undo step that fails (the config swap failed, the rename back is refused): exit 75 naming the databases' state and what to run")
    func failedUndoReported() throws {
        let scene = try Scene("rsafe_undo")
        let now = Date()
        let stamp = RestoreJob.stamp(now)
        let staging = RestoreJob.databaseName(scene.name, suffix: "_restore_\(stamp)")
        let previous = scene.preRestore(now)
        // The config swap fails: the name the current config directory is moved aside to is taken
        // once the swap starts (taken before the plan, the restore would choose the next second).
        let aside = scene.live.roomsDir + "/pharaohs.pre-restore.\(stamp)"
        // Once the database swap is done, the staging name is taken too: the undo cannot rename back.
        let swapped = Shared<Bool>(), conflict = Shared<Bool>()
        let request = try scene.request(now: now)
        let error = #expect(throws: SnapError.self) {
            _ = try RestoreJob(request, events: { event in
                guard case .step(let text) = event else { return }
                if swapped.value == true && conflict.value != true {
                    conflict.value = true
                    try? createDatabase(staging)
                }
                if text.hasPrefix("swapping") {
                    swapped.value = true
                    try? FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
                    try? "taken\n".write(toFile: aside + "/file.txt", atomically: true, encoding: .utf8)
                }
            }, confirm: { _, _ in true }).run()
        }
        #expect(conflict.value == true, "the database swap was never reached")
        let message = error?.message ?? ""
        #expect(error?.code == .attention, "a failed undo is exit 75: \(String(describing: error?.code))")
        #expect(!message.contains("nothing was changed") && !message.contains("as it was,") && !message.contains("so the room is as it was"), "\(message)")
        #expect(message.contains(scene.name) && message.contains(previous), "the message names the databases: \(message)")
        #expect(message.contains("ALTER DATABASE"), "the message says what to run: \(message)")
        #expect(!message.contains("DROP DATABASE \(quoteIdentifier(staging))"), "the runbook must not drop the database in the way: \(message)")
        // What the message says is what is there: the restored database is live and usable, the
        // previous one kept, the conflicting database untouched.
        #expect(try events(in: scene.live.database) == "300")
        #expect(try allowsConnections(scene.name))
        #expect(try events(in: scene.live.database, previous) == "7")
        #expect(try databaseExists(staging), "the database that took the staging name was not dropped")
        try TestPostgres.shared().admin { try $0.execute("DROP DATABASE \(quoteIdentifier(staging))") }
    }

    @Test("a live database left with ALLOW_CONNECTIONS false by a crash is named by --dry-run and by the next restore, which leaves both databases open")
    func blockedLiveDatabaseNamed() throws {
        let scene = try Scene("rsafe_blocked")
        try TestPostgres.shared().admin { try $0.execute("ALTER DATABASE \(quoteIdentifier(scene.name)) ALLOW_CONNECTIONS false") }
        var dry = try scene.request()
        dry.dryRun = true
        let plan = try RestoreJob(dry, confirm: { _, _ in true }).run()
        #expect(plan.warnings.contains { $0.contains(scene.name) && $0.contains("ALLOW_CONNECTIONS false") }, "\(plan.warnings)")
        #expect(plan.plan.contains { $0.contains("ALLOW_CONNECTIONS false") }, "\(plan.plan)")
        var warned: [String] = []
        let result = try RestoreJob(try scene.request(), confirm: { _, warnings in warned = warnings; return true }).run()
        #expect(warned.contains { $0.contains(scene.name) && $0.contains("ALLOW_CONNECTIONS false") }, "\(warned)")
        #expect(try allowsConnections(scene.name))
        #expect(try allowsConnections(try #require(result.previous_database)))
    }
}

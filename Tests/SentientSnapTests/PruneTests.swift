import Foundation
import SentientSnap
import TestHarness
import Testing

/// `sentient-<room>-<stamp>.tar.gz` for a calendar date (local fields, no time zone arithmetic).
private func archiveName(_ room: String, _ y: Int, _ m: Int, _ d: Int, _ h: Int = 2, _ min: Int = 0, _ s: Int = 0) -> String {
    String(format: "sentient-%@-%04d%02d%02d-%02d%02d%02d.tar.gz", room, y, m, d, h, min, s)
}

/// Every day of `year` as (y, m, d), in order.
private func days(of year: Int) -> [(Int, Int, Int)] {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    var date = calendar.date(from: DateComponents(year: year, month: 1, day: 1, hour: 12))!
    var out: [(Int, Int, Int)] = []
    while calendar.component(.year, from: date) == year {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        out.append((c.year!, c.month!, c.day!))
        date = calendar.date(byAdding: .day, value: 1, to: date)!
    }
    return out
}

/// Creates a file with plain open/write/close (FileManager writes atomically, with a sync,
/// which makes thousands of files slow).
private func quickWrite(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot create \(path)")
    _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

/// A directory of empty archives with sidecars, plus files prune must never touch.
private struct BackupDir {
    let dir: TempDir
    let foreign = ["notes.txt", "sentient-pharaohs-latest.tar.gz", "sentient-pharaohs-20240230-020000.tar.gz",
                   "sentient-pharaohs-20240101-020000.tar.gz.bak", "other-20240101-020000.tar.gz", ".hidden"]

    init(_ names: [String]) throws {
        dir = try TempDir(prefix: "snap-prune")
        for name in names {
            quickWrite(dir.file(name), "")
            quickWrite(dir.file(name + ".sha256"), "x  \(name)\n")
        }
        for name in foreign { quickWrite(dir.file(name), "keep me") }
    }

    var archives: Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { BackupFileName.parse($0) != nil })
    }

    var all: Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []) }
}

/// The policy's expected survivors computed another way: group by period, take each group's
/// newest, take the N newest groups (no streaming, no shared code with `RetentionPolicy.plan`).
private func expectedKept(_ names: [String], _ policy: RetentionPolicy) -> Set<String> {
    let parsed = names.compactMap { BackupFileName.parse($0) }
    var kept = Set<String>()
    let newestFirst = parsed.sorted { $0.stamp > $1.stamp }
    if let newest = newestFirst.first { kept.insert(newest.fileName) }
    newestFirst.prefix(policy.last).forEach { kept.insert($0.fileName) }
    func byPeriod(_ count: Int, _ key: (BackupFileName) -> String) {
        let groups = Dictionary(grouping: parsed, by: key)
        let newestPerGroup = groups.values.map { $0.max { $0.stamp < $1.stamp }! }
        newestPerGroup.sorted { $0.stamp > $1.stamp }.prefix(count).forEach { kept.insert($0.fileName) }
    }
    byPeriod(policy.daily) { $0.dayKey }
    byPeriod(policy.weekly) { $0.weekKey }
    byPeriod(policy.monthly) { $0.monthKey }
    if let within = policy.within, let newest = newestFirst.first {
        parsed.filter { newest.date.timeIntervalSince($0.date) <= within }.forEach { kept.insert($0.fileName) }
    }
    return kept
}

@Suite("prune", .timeLimit(.minutes(30)))
struct PruneTests {
    /// 2024 daily at 02:00 for pharaohs; twice a day (02:00, 14:00) for clockwork.
    static let pharaohs = days(of: 2024).map { archiveName("pharaohs", $0.0, $0.1, $0.2) }
    static let clockwork = days(of: 2024).flatMap { [archiveName("clockwork", $0.0, $0.1, $0.2, 2), archiveName("clockwork", $0.0, $0.1, $0.2, 14)] }

    @Test("default policy on a year of dailies: the hand-checked set (ISO week 2025-W01 holds 31 Dec 2024)")
    func handChecked() throws {
        let dir = try BackupDir(Self.pharaohs + Self.clockwork)
        let result = try Pruner.run(PruneRequest(directory: dir.dir.path))
        #expect(result.policy == .standard)
        // 7 daily: 25-31 Dec. 4 weekly: 31 Dec (2025-W01), 29 Dec (W52), 22 Dec (W51), 15 Dec (W50).
        // 3 monthly: 31 Dec, 30 Nov, 31 Oct.
        let pharaohs = Set([25, 26, 27, 28, 29, 30, 31].map { archiveName("pharaohs", 2024, 12, $0) }
            + [archiveName("pharaohs", 2024, 12, 22), archiveName("pharaohs", 2024, 12, 15),
               archiveName("pharaohs", 2024, 11, 30), archiveName("pharaohs", 2024, 10, 31)])
        // Twice a day: each period's newest is the 14:00 one.
        let clockwork = Set([25, 26, 27, 28, 29, 30, 31].map { archiveName("clockwork", 2024, 12, $0, 14) }
            + [archiveName("clockwork", 2024, 12, 22, 14), archiveName("clockwork", 2024, 12, 15, 14),
               archiveName("clockwork", 2024, 11, 30, 14), archiveName("clockwork", 2024, 10, 31, 14)])
        #expect(dir.archives == pharaohs.union(clockwork))
        // Sidecars went with their archives; nothing else was touched.
        let sidecars = dir.all.filter { $0.hasSuffix(".sha256") }
        #expect(Set(sidecars) == Set(dir.archives.map { $0 + ".sha256" }))
        for name in dir.foreign { #expect(dir.all.contains(name), "\(name) was touched") }
        let pharaohsResult = try #require(result.rooms.first { $0.room == "pharaohs" })
        #expect(pharaohsResult.deleted.count == 366 - 11)
        #expect(pharaohsResult.kept.first?.reasons == ["newest", "daily 2024-12-31", "weekly 2025-W01", "monthly 2024-12"])
    }

    @Test("several policies keep exactly the independently computed sets, per room",
          arguments: [
            RetentionPolicy(last: 5),
            RetentionPolicy(daily: 3, monthly: 12),
            RetentionPolicy(weekly: 10),
            RetentionPolicy(last: 2, daily: 10, weekly: 8, monthly: 6),
            RetentionPolicy(within: 36 * 3600),
            RetentionPolicy(daily: 1, within: 14 * 86400),
          ])
    func policies(_ policy: RetentionPolicy) throws {
        let dir = try BackupDir(Self.pharaohs + Self.clockwork)
        var request = PruneRequest(directory: dir.dir.path, policy: policy)
        request.room = nil
        _ = try Pruner.run(request)
        let expected = expectedKept(Self.pharaohs, policy).union(expectedKept(Self.clockwork, policy))
        #expect(dir.archives == expected)
        for name in dir.foreign { #expect(dir.all.contains(name)) }
    }

    @Test("--room prunes that room only; --dry-run deletes nothing but reports the same plan")
    func roomAndDryRun() throws {
        let dir = try BackupDir(Self.pharaohs + Self.clockwork)
        let before = dir.all
        var request = PruneRequest(directory: dir.dir.path, room: "clockwork", policy: RetentionPolicy(last: 3))
        request.dryRun = true
        let dry = try Pruner.run(request)
        #expect(dir.all == before)
        #expect(dry.rooms.map(\.room) == ["clockwork"])
        #expect(dry.rooms[0].deleted.count == Self.clockwork.count - 3)
        request.dryRun = false
        let real = try Pruner.run(request)
        #expect(real.rooms[0].deleted == dry.rooms[0].deleted)
        #expect(dir.archives.filter { $0.contains("pharaohs") }.count == Self.pharaohs.count)
        #expect(dir.archives.filter { $0.contains("clockwork") }.count == 3)
    }

    @Test("an archive's .sig signature goes with it; a kept archive keeps its own")
    func signatures() throws {
        let names = (1...4).map { archiveName("pharaohs", 2024, 12, $0) }
        let dir = try BackupDir(names)
        for name in names { quickWrite(dir.dir.file(name + ".sig"), "-----BEGIN SSH SIGNATURE-----\n") }
        let result = try Pruner.run(PruneRequest(directory: dir.dir.path, policy: RetentionPolicy(last: 1)))
        #expect(dir.archives == [names[3]])
        #expect(Set(dir.all.filter { $0.hasSuffix(".sig") }) == [names[3] + ".sig"])
        #expect(result.rooms.first?.deleted.count == 3)
        for name in dir.foreign { #expect(dir.all.contains(name), "\(name) was touched") }
    }

    @Test("stale hidden .partial files of ours go after a day; fresh ones and look-alikes stay")
    func partials() throws {
        let dir = try BackupDir([archiveName("pharaohs", 2024, 1, 1)])
        let stale = ".sentient-pharaohs-20240101-030000.tar.gz.partial"
        let fresh = ".sentient-pharaohs-20240102-030000.tar.gz.partial"
        let alien = ".sentient-pharaohs.partial"
        for name in [stale, fresh, alien] { _ = FileManager.default.createFile(atPath: dir.dir.file(name), contents: Data("x".utf8)) }
        let old = Date().addingTimeInterval(-2 * 86400)
        for name in [stale, alien] { try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: dir.dir.file(name)) }
        let result = try Pruner.run(PruneRequest(directory: dir.dir.path))
        #expect(result.stale_partials == [stale])
        #expect(!dir.all.contains(stale))
        #expect(dir.all.contains(fresh))
        #expect(dir.all.contains(alien))
    }

    @Test("an archive dated in the future (clock jump) is kept, reported, and not the reference for --keep-within")
    func futureDated() throws {
        // Real nightly backups of the last 6 days, named from "now" in local time as backup names them.
        let now = Date()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let real = (1...6).map { "sentient-pharaohs-\(formatter.string(from: now.addingTimeInterval(-Double($0) * 86400))).tar.gz" }
        let future = "sentient-pharaohs-20991231-235959.tar.gz"
        let nearFuture = "sentient-pharaohs-\(formatter.string(from: now.addingTimeInterval(3600))).tar.gz"  // within a day: normal
        let dir = try BackupDir(real + [future, nearFuture])
        var request = PruneRequest(directory: dir.dir.path, policy: RetentionPolicy(within: 7 * 86400))
        request.now = now
        let result = try Pruner.run(request)
        #expect(dir.archives == Set(real + [future, nearFuture]), "deleted: \(result.rooms.flatMap(\.deleted))")
        let room = try #require(result.rooms.first)
        #expect(room.deleted.isEmpty)
        #expect(room.future_dated == [future])
        #expect(room.kept.first { $0.file == nearFuture }?.reasons.first == "newest")

        // Retention still works from the real newest: a 3-day window keeps 3 days of real backups.
        request.policy = RetentionPolicy(within: 3 * 86400 + 7200)
        let narrower = try Pruner.run(request)
        #expect(dir.archives == Set(real.prefix(3) + [future, nearFuture]), "\(narrower.rooms)")

        // Only future-dated archives: none is deleted, whatever the policy.
        let onlyFuture = try BackupDir([future, "sentient-pharaohs-20990101-020000.tar.gz"])
        _ = try Pruner.run(PruneRequest(directory: onlyFuture.dir.path, policy: RetentionPolicy(last: 0)))
        #expect(onlyFuture.archives.count == 2)
    }

    @Test("file names: rooms with dashes, impossible dates, sidecars and partials are not backups")
    func names() {
        let parsed = BackupFileName.parse("sentient-escape-room-2-20240115-143022.tar.gz")
        #expect(parsed?.room == "escape-room-2")
        #expect(parsed?.stamp == "20240115-143022")
        #expect(parsed?.weekKey == "2024-W03")
        for bad in ["sentient-x-20240230-020000.tar.gz", "sentient-x-20241301-020000.tar.gz", "sentient-x-20240101-250000.tar.gz",
                    "sentient-x-20240101-020000.tar.gz.sha256", ".sentient-x-20240101-020000.tar.gz.partial",
                    "sentient--20240101-020000.tar.gz", "sentient-x-2024010-020000.tar.gz", "sentient-a/b-20240101-020000.tar.gz"] {
            #expect(BackupFileName.parse(bad) == nil, "\(bad)")
        }
        #expect(BackupFileName.parse("sentient-x-20201231-120000.tar.gz")?.weekKey == "2020-W53")
        #expect(BackupFileName.parse("sentient-x-20210103-120000.tar.gz")?.weekKey == "2020-W53")
        #expect(throws: SnapError.self) { try DurationText.seconds("7 days") }
        #expect((try? DurationText.seconds("1d12h")) == 36 * 3600)
        #expect((try? DurationText.seconds("2w")) == 14 * 86400)
    }

    @Test("property: random backups and policies — the newest survives, only matching files go, dry runs delete nothing")
    func property() throws {
        var rng = SplitMix64(seed: 0x5EED_2024)
        for round in 0..<40 {
            var names = Set<String>()
            let rooms = ["pharaohs", "clock-work", "x"].prefix(Int.random(in: 1...3, using: &rng))
            for room in rooms {
                for _ in 0..<Int.random(in: 1...60, using: &rng) {
                    names.insert(archiveName(room, Int.random(in: 2022...2025, using: &rng), Int.random(in: 1...12, using: &rng),
                                             Int.random(in: 1...28, using: &rng), Int.random(in: 0...23, using: &rng),
                                             Int.random(in: 0...59, using: &rng), Int.random(in: 0...59, using: &rng)))
                }
            }
            let policy = RetentionPolicy(
                last: Int.random(in: 0...3, using: &rng), daily: Int.random(in: 0...5, using: &rng),
                weekly: Int.random(in: 0...5, using: &rng), monthly: Int.random(in: 0...5, using: &rng),
                within: Bool.random(using: &rng) ? Double(Int.random(in: 1...2000, using: &rng)) * 3600 : nil)
            let dir = try BackupDir(Array(names))
            let before = dir.all
            var request = PruneRequest(directory: dir.dir.path, policy: policy)
            request.dryRun = true
            let dry = try Pruner.run(request)
            #expect(dir.all == before, "round \(round): the dry run deleted something")
            request.dryRun = false
            let real = try Pruner.run(request)
            #expect(Set(real.rooms.flatMap(\.deleted)) == Set(dry.rooms.flatMap(\.deleted)), "round \(round)")
            let after = dir.all
            for room in rooms {
                let newest = names.filter { BackupFileName.parse($0)?.room == room }.max { BackupFileName.parse($0)!.stamp < BackupFileName.parse($1)!.stamp }!
                #expect(after.contains(newest), "round \(round): newest \(newest) of \(room) was deleted")
            }
            for name in before.subtracting(after) {
                let archive = name.hasSuffix(".sha256") ? String(name.dropLast(7)) : name
                #expect(BackupFileName.parse(archive) != nil, "round \(round): \(name) does not match the pattern but was deleted")
                #expect(!after.contains(archive), "round \(round): a sidecar went but its archive \(archive) stayed")
            }
            let expected = Set(rooms.flatMap { room in expectedKept(names.filter { BackupFileName.parse($0)!.room == room }, policy) })
            #expect(dir.archives == expected, "round \(round): \(policy)")
        }
    }
}

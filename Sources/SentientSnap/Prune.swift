import Foundation

/// Grandfather-father-son retention, per room (restic's `forget` rules).
///
/// Periods are counted only when they hold a backup: `daily: 7` keeps the newest backup of each
/// of the last 7 days *that have a backup*, so a week without backups does not empty the history.
public struct RetentionPolicy: Sendable, Codable, Equatable {
    /// Keep the newest N backups.
    public var last = 0
    /// Keep the newest backup of each of the last N days (local calendar days).
    public var daily = 0
    /// Keep the newest backup of each of the last N ISO weeks.
    public var weekly = 0
    /// Keep the newest backup of each of the last N months.
    public var monthly = 0
    /// Keep every backup taken within this many seconds before the room's newest backup.
    public var within: TimeInterval?

    public init(last: Int = 0, daily: Int = 0, weekly: Int = 0, monthly: Int = 0, within: TimeInterval? = nil) {
        self.last = last
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
        self.within = within
    }

    /// Used when no keep flag is given: 7 daily, 4 weekly, 3 monthly.
    public static let standard = RetentionPolicy(daily: 7, weekly: 4, monthly: 3)

    /// True when no rule keeps anything (only the newest backup would survive).
    public var isEmpty: Bool { last == 0 && daily == 0 && weekly == 0 && monthly == 0 && within == nil }

    /// Why a future-dated archive stays (`BackupFileName.isFutureDated`).
    public static let futureReason = "dated in the future, more than a day ahead of this host's clock"

    /// What to do with each backup of one room, newest first. The newest always stays. Archives
    /// dated in the future (relative to `now`) always stay and are left out of the counting: the
    /// newest, the periods and `within` are taken from the others.
    public func plan(_ backups: [BackupFileName], now: Date = Date()) -> [PruneDecision] {
        let future = backups.filter { $0.isFutureDated(now: now) }.sorted { $1 < $0 }
        let kept = future.map { PruneDecision(backup: $0, reasons: [Self.futureReason]) }
        let sorted = backups.filter { !$0.isFutureDated(now: now) }.sorted { $1 < $0 }
        guard let newest = sorted.first else { return kept }
        var reasons = [[String]](repeating: [], count: sorted.count)
        reasons[0].append("newest")
        for index in sorted.indices.prefix(last) { reasons[index].append("last \(last)") }
        let buckets: [(count: Int, label: String, key: (BackupFileName) -> String)] = [
            (daily, "daily", { $0.dayKey }), (weekly, "weekly", { $0.weekKey }), (monthly, "monthly", { $0.monthKey }),
        ]
        for bucket in buckets where bucket.count > 0 {
            var remaining = bucket.count
            var lastKey: String?
            // Newest first, so the first backup seen in a period is that period's newest.
            for (index, backup) in sorted.enumerated() where remaining > 0 {
                let key = bucket.key(backup)
                if key != lastKey {
                    reasons[index].append("\(bucket.label) \(key)")
                    lastKey = key
                    remaining -= 1
                }
            }
        }
        if let within {
            for (index, backup) in sorted.enumerated() where newest.date.timeIntervalSince(backup.date) <= within {
                reasons[index].append("within \(DurationText.describe(within)) of the newest")
            }
        }
        return kept + zip(sorted, reasons).map { PruneDecision(backup: $0, reasons: $1) }
    }
}

/// One backup's fate.
public struct PruneDecision: Sendable {
    public var backup: BackupFileName
    /// Why it stays; empty means it goes.
    public var reasons: [String]
    public var keep: Bool { !reasons.isEmpty }
}

/// What to prune and how.
public struct PruneRequest: Sendable {
    public var directory: String
    public var room: String?
    public var policy: RetentionPolicy
    public var dryRun = false
    /// Hidden `.partial` files of this tool older than this are stale and removed.
    public var staleAfter: TimeInterval = 86400
    public var now = Date()

    public init(directory: String, room: String? = nil, policy: RetentionPolicy = .standard) {
        self.directory = directory
        self.room = room
        self.policy = policy
    }
}

/// What a prune did (or, with `dry_run`, would do). `--json` prints it.
public struct PruneResult: Codable, Sendable {
    public struct Kept: Codable, Sendable {
        public var file: String
        public var reasons: [String]
    }

    public struct Room: Codable, Sendable {
        public var room: String
        public var kept: [Kept]
        /// Archives removed (their `.sha256` and `.sig` went with them).
        public var deleted: [String]
        /// Archives dated in the future (a clock that was wrong): kept, and not the newest.
        public var future_dated: [String]
    }

    public var directory: String
    public var dry_run: Bool
    public var policy: RetentionPolicy
    public var rooms: [Room]
    /// Stale hidden `.partial` files removed.
    public var stale_partials: [String]
    public var bytes_freed: Int64
}

/// Applies a retention policy to a backup directory.
public enum Pruner {
    /// Deletes (or with `dryRun` only reports) the backups the policy does not keep, with their
    /// sidecars, and this tool's stale `.partial` files. Touches no other file.
    /// - Throws: `SnapError(.inputNotFound)` for a missing directory; `SnapError(.ioFailure)`
    ///   naming every file that could not be removed (the others are removed).
    public static func run(_ request: PruneRequest) throws -> PruneResult {
        let directory = request.directory
        let files = try BackupDirectory.scan(directory, room: request.room)
        var byRoom: [String: [BackupFile]] = [:]
        for file in files { byRoom[file.name.room, default: []].append(file) }
        var result = PruneResult(directory: directory, dry_run: request.dryRun, policy: request.policy, rooms: [], stale_partials: [], bytes_freed: 0)
        var failures: [String] = []

        func remove(_ path: String) -> Bool {
            if request.dryRun { return true }
            if unlink(path) == 0 || errno == ENOENT { return true }
            failures.append("\(path): \(String(cString: strerror(errno)))")
            return false
        }

        for room in byRoom.keys.sorted() {
            let roomFiles = byRoom[room]!
            let bySize = Dictionary(roomFiles.map { ($0.name.fileName, $0) }, uniquingKeysWith: { a, _ in a })
            var entry = PruneResult.Room(room: room, kept: [], deleted: [], future_dated: [])
            entry.future_dated = roomFiles.map(\.name).filter { $0.isFutureDated(now: request.now) }.sorted { $1 < $0 }.map(\.fileName)
            for decision in request.policy.plan(roomFiles.map(\.name), now: request.now) {
                let name = decision.backup.fileName
                if decision.keep {
                    entry.kept.append(.init(file: name, reasons: decision.reasons))
                    continue
                }
                let path = (directory as NSString).appendingPathComponent(name)
                guard remove(path) else { continue }
                entry.deleted.append(name)
                result.bytes_freed += bySize[name]?.size ?? 0
                for sidecar in [path + ".sha256", path + ArchiveSignature.suffix] {
                    var info = stat()
                    if lstat(sidecar, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                        result.bytes_freed += Int64(info.st_size)
                        _ = remove(sidecar)
                    }
                }
            }
            result.rooms.append(entry)
        }

        // Our own leftovers: hidden partial files of an interrupted backup, older than a day
        // (a running backup keeps writing, so its file is always recent).
        for name in try BackupDirectory.entries(directory).sorted() {
            guard let parsed = BackupFileName.parsePartial(name), request.room == nil || parsed.room == request.room else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
            guard request.now.timeIntervalSince(modified) > request.staleAfter else { continue }
            if remove(path) {
                result.stale_partials.append(name)
                result.bytes_freed += Int64(info.st_size)
            }
        }
        if !failures.isEmpty {
            throw SnapError(.ioFailure, "prune could not remove:\n" + failures.map { "  - \($0)" }.joined(separator: "\n"))
        }
        return result
    }
}

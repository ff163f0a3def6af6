import Foundation
import PGWire

/// Which `<db>_pre_restore_<ts>` databases to keep. Each one is the room's data as it was
/// before a restore, so the rule is bounded the way DESIGN.md asks of every destructive step:
/// a second restore never costs the first one's safety copy (the newest K are kept), and a
/// clock jump never turns into deletion (a name dated more than a day ahead is never dropped
/// and never counts as one of the newest).
struct PreRestoreRetention: Equatable {
    /// Kept as the newest K, newest first.
    var keep: [String]
    /// To drop, newest first.
    var drop: [String]
    /// Dated more than a day after `now`, or not a real date: never dropped, never counted.
    var future: [String]

    static let defaultKeep = 2
    static let futureSlack: TimeInterval = 86400

    /// - Parameters:
    ///   - names: pre-restore databases of one live database (see `DatabaseSwap.leftovers`).
    ///   - keep: how many of the newest to keep (at least 1).
    static func select(_ names: [String], now: Date, keep: Int) -> PreRestoreRetention {
        var dated: [(name: String, date: Date)] = []
        var future: [String] = []
        for name in names {
            guard let date = date(of: name), date.timeIntervalSince(now) <= futureSlack else {
                future.append(name)
                continue
            }
            dated.append((name, date))
        }
        dated.sort { $0.date != $1.date ? $0.date > $1.date : $0.name > $1.name }
        let count = max(1, keep)
        return PreRestoreRetention(
            keep: dated.prefix(count).map(\.name), drop: dated.dropFirst(count).map(\.name), future: future.sorted(by: >))
    }

    /// The local time in a name's `YYYYMMDD_HHMMSS` tail (as `RestoreJob.stamp` wrote it);
    /// nil when the tail is not a real date.
    static func date(of name: String) -> Date? {
        let stamp = String(name.suffix(15))
        guard stamp.range(of: #"^[0-9]{8}_[0-9]{6}$"#, options: .regularExpression) != nil else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        formatter.isLenient = false
        guard let date = formatter.date(from: stamp), formatter.string(from: date) == stamp else { return nil }
        return date
    }
}

/// The database half of a restore: swapping the staging database in, putting the old one back,
/// and finding what an earlier, interrupted restore left. Every step that undoes something checks
/// its result; when one fails, the error (`SnapError(.attention)`, exit 75) says which database
/// is where and what to run.
struct DatabaseSwap {
    let maintenance: Connection
    let live: String
    let staging: String
    let previous: String

    /// What a finished swap reports: the name the old database is kept under (nil when there was
    /// none), and steps after the renames that failed and need a human.
    struct Outcome {
        var previous: String?
        var attention: [String] = []
    }

    private var q: (String) -> String { quoteIdentifier }

    /// Blocks connections to the live database, renames it aside, renames staging in, allows
    /// connections again. Retries when a session slips in; undoes on failure.
    /// - Throws: `SnapError(.failure)` when the swap was undone ("nothing was changed");
    ///   `SnapError(.attention)` with the databases' state and the commands to run when the undo
    ///   itself failed.
    func swap(liveExists: Bool) throws -> Outcome {
        if !liveExists {
            do {
                try retry { try maintenance.execute("ALTER DATABASE \(q(staging)) RENAME TO \(q(live))") }
            } catch {
                throw SnapError(.failure, "could not rename the staging database \(staging) into place as \(live) (\(error)); " + dropStagingNote(), underlying: error)
            }
            return Outcome(previous: nil)
        }
        do {
            try maintenance.execute("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS false")
        } catch {
            // A failed statement changed nothing, unless the connection broke after the server
            // applied it: allow connections again either way, and check that this worked.
            let cause = "could not block connections to the live database \(live) (\(error))"
            if let failure = step("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true") {
                throw blocked(cause: cause, failure: failure)
            }
            throw SnapError(.failure, cause + "; " + dropStagingNote())
        }
        do {
            try retry {
                try terminateSessions(live)
                try maintenance.execute("ALTER DATABASE \(q(live)) RENAME TO \(q(previous))")
            }
        } catch {
            let cause = "could not take the live database \(live) offline (\(error))"
            if let failure = step("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true") {
                throw blocked(cause: cause, failure: failure)
            }
            throw SnapError(.failure, cause + "; it was left in place with connections allowed again, " + dropStagingNote())
        }
        do {
            try retry { try maintenance.execute("ALTER DATABASE \(q(staging)) RENAME TO \(q(live))") }
        } catch {
            let cause = "could not rename the staging database \(staging) into place as \(live) (\(error))"
            if let failure = step("ALTER DATABASE \(q(previous)) RENAME TO \(q(live))") {
                throw SnapError(.attention, """
                    \(cause), and putting the live database back failed too: ALTER DATABASE \(q(previous)) RENAME TO \(q(live)) (\(failure)).
                    State now: there is no database \(live). The room's data is in \(previous) (connections blocked), the restored data in \(staging). The config directory was not replaced.
                    To put the room back as it was, connect to the maintenance database as a superuser (psql -d postgres) and run:
                        ALTER DATABASE \(q(previous)) RENAME TO \(q(live)); ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true;
                    and, once the room works again: DROP DATABASE \(q(staging)) WITH (FORCE);
                    or, to finish the database part of this restore instead:
                        ALTER DATABASE \(q(staging)) RENAME TO \(q(live)); ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true; ALTER DATABASE \(q(previous)) ALLOW_CONNECTIONS true;
                    then restart the room.
                    """)
            }
            if let failure = step("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true") {
                throw blocked(cause: cause + "; the live database was renamed back", failure: failure)
            }
            throw SnapError(.failure, cause + "; the live database was put back, " + dropStagingNote())
        }
        // The swap is done; what is left only opens the doors again.
        var outcome = Outcome(previous: previous)
        if let failure = step("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true") {
            outcome.attention.append("the restored database \(live) is in place but still refuses connections (\(failure)), so the room cannot use it: run ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true; from the maintenance database")
        }
        if let failure = step("ALTER DATABASE \(q(previous)) ALLOW_CONNECTIONS true") {
            outcome.attention.append("the previous database is kept as \(previous) but refuses connections (\(failure)): to read it, run ALTER DATABASE \(q(previous)) ALLOW_CONNECTIONS true;")
        }
        return outcome
    }

    /// Puts the database back as it was before `swap` (when a later step of the restore failed).
    /// - Parameters:
    ///   - kept: `swap`'s `previous` (nil when there was no live database before).
    ///   - cause: what failed, for the message.
    /// - Returns: a note for the caller's message when the staging database could not be dropped
    ///   ("" when all went well).
    /// - Throws: `SnapError(.attention)` with the databases' state and the commands to run.
    func undo(kept: String?, cause: String) throws -> String {
        // A name of its own for the restored data (the staging name may be what is in the way),
        // and no DROP on the same line: psql goes on after a failed statement.
        let undone = RestoreJob.databaseName(live, suffix: "_undone_" + staging.suffix(15))
        let putBack = kept.map { kept in
            "ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(quoteLiteral(live)); ALTER DATABASE \(q(live)) RENAME TO \(q(undone)); ALTER DATABASE \(q(kept)) RENAME TO \(q(live)); ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true;\n    and, once the room works again: DROP DATABASE \(q(undone)) WITH (FORCE);"
        } ?? "DROP DATABASE \(q(live)) WITH (FORCE);"
        let before = kept.map { "the room's data from before the restore is in \($0)" } ?? "there was no database \(live) before the restore"
        func stuck(_ step: String, _ failure: Error, open: Bool) -> SnapError {
            SnapError(.attention, """
                \(cause); undoing the database swap failed: \(step) (\(failure)).
                State now: the restored database is still \(live)\(open ? "" : " and REFUSES CONNECTIONS"); \(before). The config directory is as it was (not replaced).
                To put the database back as well, connect to the maintenance database as a superuser (psql -d postgres) and run:
                    \(putBack)
                then restart the room. Or keep the restored database\(open ? "" : " (run ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true;)") and run the restore again for the config.
                """)
        }
        if let failure = step("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS false") {
            throw stuck("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS false", failure, open: true)
        }
        do {
            try retry {
                try terminateSessions(live)
                try maintenance.execute("ALTER DATABASE \(q(live)) RENAME TO \(q(staging))")
            }
        } catch {
            let reopened = step("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true") == nil
            throw stuck("ALTER DATABASE \(q(live)) RENAME TO \(q(staging))", error, open: reopened)
        }
        if let kept {
            if let failure = step("ALTER DATABASE \(q(kept)) RENAME TO \(q(live))") {
                throw SnapError(.attention, """
                    \(cause); undoing the database swap failed: ALTER DATABASE \(q(kept)) RENAME TO \(q(live)) (\(failure)).
                    State now: there is no database \(live). The room's data from before the restore is in \(kept), the restored data in \(staging). The config directory is as it was (not replaced).
                    To put the room back as it was, connect to the maintenance database as a superuser (psql -d postgres) and run:
                        ALTER DATABASE \(q(kept)) RENAME TO \(q(live)); ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true;
                    then restart the room, and once it works: DROP DATABASE \(q(staging)) WITH (FORCE);
                    """)
            }
            if let failure = step("ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true") {
                throw SnapError(.attention, """
                    \(cause); the database swap was undone, but the database \(live) (the room's data from before the restore) still refuses connections: ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true failed (\(failure)).
                    The restored data is in \(staging); the config directory is as it was. Run from the maintenance database as a superuser:
                        ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true; DROP DATABASE \(q(staging)) WITH (FORCE);
                    """)
            }
        }
        if let failure = step("DROP DATABASE IF EXISTS \(q(staging)) WITH (FORCE)") {
            return " (the restored data is left in \(staging), which could not be dropped (\(failure)): run DROP DATABASE \(q(staging)) WITH (FORCE); from the maintenance database)"
        }
        return ""
    }

    /// Runs one undo step; nil when it worked, else its error.
    private func step(_ sql: String) -> Error? {
        do {
            try maintenance.execute(sql)
            return nil
        } catch {
            return error
        }
    }

    /// "the staging database was dropped — nothing was changed", or what to drop by hand.
    private func dropStagingNote() -> String {
        if let failure = step("DROP DATABASE IF EXISTS \(q(staging)) WITH (FORCE)") {
            return "nothing else was changed, but the staging database \(staging) could not be dropped (\(failure)): run DROP DATABASE \(q(staging)) WITH (FORCE); from the maintenance database"
        }
        return "the staging database was dropped — nothing was changed"
    }

    /// The live database is left refusing connections: exit 75 and the command that opens it.
    private func blocked(cause: String, failure: Error) -> SnapError {
        let leftover = step("DROP DATABASE IF EXISTS \(q(staging)) WITH (FORCE)") == nil
            ? "" : " Then DROP DATABASE \(q(staging)) WITH (FORCE); (the unused staging database)."
        return SnapError(.attention, """
            \(cause), and allowing connections to it again failed: ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true (\(failure)).
            State now: the database \(live) holds the room's data as before the restore, but REFUSES CONNECTIONS, so the room cannot use it. The config directory was not replaced.
            Run from the maintenance database as a superuser (psql -d postgres): ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true;\(leftover)
            """)
    }

    private func terminateSessions(_ name: String) throws {
        _ = try maintenance.query("""
            SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity
            WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()
            """, [name])
    }

    /// Runs `body` again while PostgreSQL says another session is using the database (55006).
    private func retry(_ body: () throws -> Void) throws {
        var lastError: Error?
        for attempt in 0..<8 {
            do {
                try body()
                return
            } catch let error as PGError where error.sqlState == SQLState.objectInUse {
                lastError = error
                Thread.sleep(forTimeInterval: 0.1 * Double(attempt + 1))
            }
        }
        throw lastError!
    }

    // MARK: - What earlier restores left

    /// The databases earlier restores of `live` named `databaseName(live, suffix: suffix + ts)`
    /// (ts `YYYYMMDD_HHMMSS`), newest first. Recomputing each candidate's name from its ts also
    /// finds the hash-shortened names of long database names, and nothing that merely starts
    /// alike.
    static func leftovers(_ connection: Connection, live: String, suffix: String) throws -> [String] {
        let names = try connection.query("SELECT datname FROM pg_catalog.pg_database").rows.compactMap { $0[0] }
        return names.filter { name in
            let ts = String(name.suffix(15))
            guard ts.range(of: #"^[0-9]{8}_[0-9]{6}$"#, options: .regularExpression) != nil else { return false }
            return RestoreJob.databaseName(live, suffix: suffix + ts) == name
        }.sorted { $0.suffix(15) > $1.suffix(15) }
    }

    /// A swap that stopped between its two renames (a crash, a kill, the server going down)
    /// leaves no database `live` but a `<live>_pre_restore_<ts>` one, and usually the staging
    /// database. Restoring on top would lose sight of the room's data, so this refuses and says
    /// exactly which databases to rename to finish or to undo that swap.
    /// - Throws: `SnapError(.failure)` with the runbook when such a state is found.
    static func checkInterruptedSwap(_ maintenance: Connection, live: String) throws {
        func newest(_ suffix: String) throws -> String? { try leftovers(maintenance, live: live, suffix: suffix).first }
        guard let previous = try newest("_pre_restore_") else { return }
        let q = quoteIdentifier
        var lines = ["the database \(live) does not exist, but \(previous) does: an earlier restore stopped between the two renames of its database swap. Nothing was changed now. To recover, connect to the maintenance database as a superuser (psql -d postgres) and either"]
        if let staging = try newest("_restore_") {
            lines.append("  finish that restore (the staging database \(staging) was complete before the swap began):")
            lines.append("    ALTER DATABASE \(q(staging)) RENAME TO \(q(live)); ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true; ALTER DATABASE \(q(previous)) ALLOW_CONNECTIONS true;")
            lines.append("  or undo it (back to the database as it was before that restore):")
        } else {
            lines.append("  put the previous database back:")
        }
        lines.append("    ALTER DATABASE \(q(previous)) RENAME TO \(q(live)); ALTER DATABASE \(q(live)) ALLOW_CONNECTIONS true;")
        lines.append("then restart the room and, if wanted, run this restore again.")
        throw SnapError(.failure, lines.joined(separator: "\n"))
    }

    /// When the live database exists but refuses connections (`ALLOW_CONNECTIONS false`, as a
    /// swap or an undo that died half-way leaves it), what to tell; nil when it accepts them.
    static func blockedLive(_ maintenance: Connection, live: String) throws -> String? {
        let rows = try maintenance.query("SELECT datallowconn::text FROM pg_catalog.pg_database WHERE datname = $1", [live]).rows
        guard let row = rows.first, try row.get(0, as: String.self) == "false" else { return nil }
        return "the database \(live) has ALLOW_CONNECTIONS false, so the room cannot connect to it: an earlier restore probably stopped during its database swap. To open it by hand: ALTER DATABASE \(quoteIdentifier(live)) ALLOW_CONNECTIONS true;"
    }

    /// What `status --check-db` reports about a room's database: blocked, missing after an
    /// interrupted swap, or missing. Empty when all is well.
    static func problems(_ maintenance: Connection, live: String, where place: String) throws -> [String] {
        guard try RestoreJob.databaseExists(maintenance, live) else {
            do {
                try checkInterruptedSwap(maintenance, live: live)
            } catch let error as SnapError {
                return [error.message.replacingOccurrences(of: " Nothing was changed now.", with: "")]
            }
            return ["the database \(live) does not exist on \(place)"]
        }
        return try blockedLive(maintenance, live: live).map { [$0] } ?? []
    }

    // MARK: - Pre-restore retention

    /// Which pre-restore databases a restore that keeps `previous` (nil: none is made) will drop.
    static func retention(_ maintenance: Connection, live: String, adding previous: String?, now: Date, keep: Int) throws -> PreRestoreRetention {
        var names = try leftovers(maintenance, live: live, suffix: "_pre_restore_")
        if let previous, !names.contains(previous) { names.append(previous) }
        return PreRestoreRetention.select(names, now: now, keep: keep)
    }

    /// The plan's line about pre-restore databases, and a warning for each drop of one younger
    /// than a day (so that `--force`, which shows no plan, still says so). Nil line: nothing to say.
    static func describe(_ retention: PreRestoreRetention, now: Date, keep: Int) -> (line: String?, warnings: [String]) {
        var warnings: [String] = []
        var parts: [String] = []
        if !retention.drop.isEmpty {
            let named = retention.drop.map { name -> String in
                guard let date = PreRestoreRetention.date(of: name) else { return name }
                let age = now.timeIntervalSince(date)
                if age < 86400 {
                    warnings.append("the pre-restore database \(name) is less than a day old (\(DurationText.describe(age))) and will be dropped: this restore keeps the newest \(keep) (--keep-pre-restore)")
                    return "\(name) (\(DurationText.describe(age)) old, less than a day old)"
                }
                return "\(name) (\(DurationText.describe(age)) old)"
            }
            parts.append("drop the older pre-restore database(s) \(named.joined(separator: ", ")), keeping the newest \(keep)")
        }
        if !retention.future.isEmpty {
            parts.append("leave \(retention.future.joined(separator: ", ")) alone (dated in the future: a clock jump?)")
        }
        return (parts.isEmpty ? nil : "pre-restore databases: " + parts.joined(separator: "; "), warnings)
    }

    /// Drops the pre-restore databases the plan named that the rule still selects (the room's
    /// lock is held, so normally all of them). Returns those dropped; failures become warnings.
    static func dropPreRestore(_ maintenance: Connection, live: String, planned: [String], now: Date, keep: Int, warn: (String) -> Void) -> [String] {
        guard !planned.isEmpty else { return [] }
        let selected: [String]
        do {
            selected = try retention(maintenance, live: live, adding: nil, now: now, keep: keep).drop
        } catch {
            warn("could not list the pre-restore databases (\(error)); none was dropped")
            return []
        }
        var dropped: [String] = []
        for name in selected where planned.contains(name) {
            do {
                try maintenance.execute("DROP DATABASE \(quoteIdentifier(name)) WITH (FORCE)")
                dropped.append(name)
            } catch {
                warn("could not drop the old pre-restore database \(name) (\(error)); it is left as it is")
            }
        }
        return dropped
    }

    /// Holds off a second restore of the same database on this server, whatever directory its
    /// archive is in (the room lock file covers backups and restores sharing a directory). A
    /// session-level advisory lock: released when the maintenance connection closes.
    static func lockDatabase(_ maintenance: Connection, live: String, waiting: () -> Void) throws {
        let key = "sentient-snap restore " + live
        let got = try maintenance.query("SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext($1))::text", [key]).rows[0].get(0, as: String.self)
        if got == "true" { return }
        waiting()
        _ = try maintenance.query("SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext($1))", [key])
    }
}

import ArgumentParser
import Foundation
import SentientSnap

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete old backups by a grandfather-father-son policy, per room.",
        // argument-parser prints its synopsis on one line; every option would need 246 columns.
        usage: "sentient-snap prune [<options>] <directory>",
        discussion: """
            Works on the timestamp in each file name (local time), never on mtime. Keeps the \
            newest backup of each of the last N days, ISO weeks and months that have a backup \
            (as restic does), plus the newest N, plus every backup within DURATION of the room's \
            newest one; deletes the rest with their .sha256 sidecars and .sig signatures. With no --keep-* flag the \
            policy is --keep-daily 7 --keep-weekly 4 --keep-monthly 3. The newest backup of a \
            room is never deleted. An archive dated more than a day ahead of now (written while \
            the clock was wrong) is reported, never deleted, and never taken as the newest, so \
            it cannot make --keep-within delete the real backups. Only files named sentient-<room>-YYYYMMDD-HHMMSS.tar.gz or .tar.gz.age (and \
            their .sha256) are considered, and this tool's own hidden .partial files when they \
            are older than a day; nothing else in the directory is touched.

            EXAMPLES:
              sentient-snap prune /var/backups/sentient --dry-run
              sentient-snap prune /var/backups/sentient --room pharaohs \\
                  --keep-daily 14 --keep-monthly 12
              sentient-snap prune /var/backups/sentient --keep-within 7d --json

            \(exitStatusHelp)
            """
    )

    @Argument(help: "Directory holding the backups, or s3://BUCKET/PREFIX.")
    var directory: String

    @Option(help: "Prune only this room's backups (default: every room found).")
    var room: RoomName?

    @Option(name: .customLong("keep-daily"), help: "Keep the newest backup of each of the last N days that have one.")
    var keepDaily: Int?

    @Option(name: .customLong("keep-weekly"), help: "Keep the newest backup of each of the last N ISO weeks that have one.")
    var keepWeekly: Int?

    @Option(name: .customLong("keep-monthly"), help: "Keep the newest backup of each of the last N months that have one.")
    var keepMonthly: Int?

    @Option(name: .customLong("keep-last"), help: "Keep the newest N backups.")
    var keepLast: Int?

    @Option(name: .customLong("keep-within"), help: "Keep every backup within DURATION of the room's newest one (e.g. 36h, 7d, 2w).")
    var keepWithin: String?

    @Flag(name: .customLong("dry-run"), help: "Show what would be deleted and why each kept backup stays; delete nothing.")
    var dryRun = false

    @OptionGroup var s3: S3Options

    @OptionGroup var output: OutputOptions
    @OptionGroup var metrics: MetricsOptions

    @Flag(name: .customLong("allow-root"), help: "Allow running as root.")
    var allowRoot = false

    func validate() throws {
        try room?.validate()
        for (flag, value) in [("--keep-daily", keepDaily), ("--keep-weekly", keepWeekly), ("--keep-monthly", keepMonthly), ("--keep-last", keepLast)] {
            if let value, value < 0 { throw ValidationError("\(flag) \(value) is negative: use 0 or more.") }
        }
        if let keepWithin {
            do { _ = try DurationText.seconds(keepWithin) } catch let error as SnapError { throw ValidationError("--keep-within: \(error.message)") }
        }
        if output.json && output.quiet { throw ValidationError("--json and --quiet cannot be combined.") }
    }

    var policy: RetentionPolicy {
        let given = [keepDaily, keepWeekly, keepMonthly, keepLast].contains { $0 != nil } || keepWithin != nil
        guard given else { return .standard }
        return RetentionPolicy(
            last: keepLast ?? 0, daily: keepDaily ?? 0, weekly: keepWeekly ?? 0, monthly: keepMonthly ?? 0,
            within: keepWithin.flatMap { try? DurationText.seconds($0) })
    }

    func run() throws {
        try metrics.record(.prune, room: room?.name, skip: dryRun) { try runCommand() }
    }

    func runCommand() throws {
        try checkRoot(allowRoot: allowRoot, command: "prune")
        try runReportingErrors {
            var request = PruneRequest(directory: directory, room: room?.name, policy: policy)
            request.dryRun = dryRun
            let result = try S3Location.parse(directory).map { try S3Remote.prune(request, location: $0, settings: try s3.settings()) }
                ?? Pruner.run(request)
            MetricsContext.shared.values = result.metricValues
            if !output.quiet {
                for room in result.rooms {
                    for file in room.future_dated {
                        FileHandle.standardError.write(Data("sentient-snap: warning: \(room.room): \(file) is \(RetentionPolicy.futureReason): kept, and not counted as the newest backup; check the clock, then move or delete it\n".utf8))
                    }
                }
            }
            if output.json {
                print(try jsonString(result))
                return
            }
            guard !output.quiet else { return }
            let verb = dryRun ? "would delete" : "deleted"
            var lines: [String] = []
            for room in result.rooms {
                lines.append("\(room.room): keeping \(room.kept.count), \(verb) \(room.deleted.count)")
                if dryRun {
                    for kept in room.kept { lines.append("  keep    \(kept.file)  (\(kept.reasons.joined(separator: ", ")))") }
                }
                for file in room.deleted { lines.append("  \(dryRun ? "delete" : "deleted") \(file)") }
            }
            for file in result.stale_partials { lines.append("  \(dryRun ? "delete" : "deleted") stale partial file \(file)") }
            if result.rooms.isEmpty { lines.append("no backups in \(directory)\(room.map { " for room \($0.name)" } ?? "")") }
            lines.append("\(dryRun ? "Dry run: would free" : "Freed") \(formatBytes(result.bytes_freed))")
            print(lines.joined(separator: "\n"))
        }
    }
}

import ArgumentParser
import Foundation
import SentientSnap

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that every room has a recent backup that verifies.",
        discussion: """
            For each room with backups in the directory (or the room named by --room), takes the \
            newest archive, reports its age and verifies it end to end (as verify does). Exit 75 \
            when a room's newest backup is older than --max-age, damaged, or missing, or when an \
            archive is dated more than a day in the future (written while the clock was wrong; \
            never taken as the newest): a check for monitoring (Nagios, a systemd timer with \
            OnFailure=, cron mail). For s3://BUCKET/PREFIX only each newest archive's head \
            (ranged GETs) and its sidecar's presence are checked, without downloading it \
            ("not verified"; verify s3://... is the full check).

            EXAMPLES:
              sentient-snap status /var/backups/sentient
              sentient-snap status /var/backups/sentient --room pharaohs --max-age 26h \\
                  --json
              # each room's settings from /etc/sentient/<room>.env:
              sentient-snap status /var/backups/sentient --check-db

            \(exitStatusHelp)
            """
    )

    @Argument(help: "Directory holding the backups, or s3://BUCKET/PREFIX (heads and sidecars only: not verified).")
    var directory: String

    @Option(help: "Check only this room; it is an error if it has no backup (default: every room found).")
    var room: RoomName?

    @Option(name: .customLong("max-age"), help: "Oldest acceptable age of a room's newest backup.")
    var maxAge: String = "26h"

    @Flag(name: .customLong("check-db"), help: "Also check each room's database on its PostgreSQL: that it exists and accepts connections (a restore that died half-way can leave it renamed or with ALLOW_CONNECTIONS false).")
    var checkDB = false

    @OptionGroup var s3: S3Options

    @OptionGroup(title: "With --check-db") var connection: ConnectionOptions

    @Flag(help: "Print one JSON array instead of the summary.")
    var json = false

    @OptionGroup var identity: IdentityOptions

    @Flag(help: "Print Prometheus metrics (sentient_status_*, one sample per room) instead of the summary.")
    var prometheus = false

    func validate() throws {
        try room?.validate()
        if json && prometheus { throw ValidationError("--json and --prometheus cannot be combined.") }
        do { _ = try DurationText.seconds(maxAge) } catch let error as SnapError { throw ValidationError("--max-age: \(error.message)") }
    }

    func run() throws {
        try runReportingErrors {
            let flags = connection.flags
            let database: ((String) -> [String])? = checkDB ? { room in BackupStatus.databaseProblems(room: room, flags: flags) } : nil
            let rooms = room.map { [$0.name] } ?? []
            let keys = try identity.keys()
            let statuses = try S3Location.parse(directory).map {
                try S3Remote.status($0, settings: try s3.settings(), rooms: rooms, maxAge: try DurationText.seconds(maxAge), database: database, keys: keys)
            } ?? BackupStatus.check(directory, rooms: rooms, maxAge: try DurationText.seconds(maxAge), database: database, keys: keys)
            if json {
                print(try jsonString(statuses))
            } else if prometheus {
                print(MetricsFile.renderStatus(statuses), terminator: "")
            } else if statuses.isEmpty {
                print("no backups in \(directory)")
            } else {
                for status in statuses {
                    let age = status.age_seconds.map { DurationText.describe($0) } ?? "-"
                    let file = status.archive.map { ($0 as NSString).lastPathComponent } ?? "-"
                    print("\(status.ok ? "OK  " : "FAIL") \(status.room)  \(file)  age \(age)  \(status.verified ? "verified" : "not verified")")
                    for problem in status.problems { print("     \(problem.replacingOccurrences(of: "\n", with: "\n     "))") }
                }
            }
            if statuses.isEmpty && room == nil {
                throw SnapError(.attention, "no backups in \(directory)")
            }
            if statuses.contains(where: { !$0.ok }) {
                throw ExitCode(ExitStatus.attention)
            }
        }
    }
}

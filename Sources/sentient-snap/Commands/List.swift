import ArgumentParser
import Foundation
import SentientSnap

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the backups in a directory, newest first.",
        usage: "sentient-snap list [<options>] <directory>",
        discussion: """
            Shows room, timestamp, size, room revision, rows, age and whether the .sha256 sidecar \
            is there. Only the head of each archive is read (its manifest.json, the first entry), \
            so listing is fast whatever the archives' size; run verify or status to check them. \
            Archives made by the old backup scripts are listed too, marked "legacy". \
            Encrypted archives (.tar.gz.age) are read with --identity; without it they are \
            listed from their names, marked "encrypted". For \
            s3://BUCKET/PREFIX the heads are read with ranged GETs.

            EXAMPLES:
              sentient-snap list /var/backups/sentient
              sentient-snap list /var/backups/sentient --room pharaohs --json

            \(exitStatusHelp)
            """
    )

    @Argument(help: "Directory holding the backups, or s3://BUCKET/PREFIX.")
    var directory: String

    @Option(help: "List only this room's backups (default: every room).")
    var room: RoomName?

    @Flag(help: "Print one JSON array instead of the table.")
    var json = false

    @OptionGroup var identity: IdentityOptions
    @OptionGroup var s3: S3Options

    func validate() throws {
        try room?.validate()
    }

    func run() throws {
        try runReportingErrors {
            let keys = try identity.keys()
            let listings = try S3Location.parse(directory).map { try S3Remote.list($0, settings: try s3.settings(), room: room?.name, keys: keys) }
                ?? BackupCatalog.list(directory, room: room?.name, keys: keys)
            if json {
                print(try jsonString(listings))
                return
            }
            guard !listings.isEmpty else {
                print("no backups in \(directory)\(room.map { " for room \($0.name)" } ?? "")")
                return
            }
            var rows = [["ROOM", "TIMESTAMP", "SIZE", "REVISION", "ROWS", "AGE", "SIDECAR", "NOTE"]]
            for item in listings {
                var notes = [item.error.map { "unreadable: \($0)" } ?? (item.legacy ? "legacy (old scripts)" : "")]
                if item.encrypted { notes.insert(item.revision == nil && item.error == nil ? "encrypted (age; --identity to read)" : "encrypted (age)", at: 0) }
                if item.future_dated { notes.insert("dated in the future (clock?): not counted as the newest", at: 0) }
                if item.signature == "present" { notes.insert("signed (.sig)", at: 0) }
                let note = notes.filter { !$0.isEmpty }.joined(separator: "; ")
                rows.append([
                    item.room, item.timestamp.replacingOccurrences(of: "T", with: " "), formatBytes(item.size),
                    item.revision ?? "-", item.rows.map(formatCount) ?? "-", item.future_dated ? "future" : DurationText.describe(item.age_seconds),
                    item.sidecar, note,
                ])
            }
            print(formatTable(rows))
        }
    }
}

/// Left-aligned columns separated by two spaces; trailing blanks trimmed.
func formatTable(_ rows: [[String]]) -> String {
    let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }.joined(separator: "\n")
}

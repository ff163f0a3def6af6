import ArgumentParser
import Foundation
import SentientSnap

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an archive end to end without changing anything.",
        discussion: """
            Reads the whole archive: gzip CRCs and sizes, tar checksums, safe entry names and \
            links, every SHA-256 and size in manifest.json, the structure and row counts of \
            db/database.dump, and the <archive>.sha256 sidecar. Exit 0 only when all hold. \
            With --restore-test it also restores the database into a throwaway database on the \
            given server (flags as for restore), compares row counts and drops it again. An \
            s3://BUCKET/PREFIX/ARCHIVE is downloaded first (room checked, into --work-dir), \
            checked against its sidecar on the store, then checked as a local file and removed.

            EXAMPLES:
              sentient-snap verify \\
                  /var/backups/sentient/sentient-pharaohs-20240115-143022.tar.gz
              sentient-snap verify ARCHIVE --json
              sentient-snap verify ARCHIVE --restore-test --pg-port 5433

            \(exitStatusHelp)
            """
    )

    @Argument(help: "The archive (.tar.gz, or s3://BUCKET/PREFIX/ARCHIVE) to check.")
    var archive: String

    @OptionGroup var output: OutputOptions

    @Flag(name: .customLong("restore-test"), help: "Also restore into a throwaway database and compare row counts.")
    var restoreTest = false

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var s3: S3ArchiveOptions

    @Option(name: .customLong("maintenance-db"), help: "Database to connect to for CREATE/DROP DATABASE (default: postgres).")
    var maintenanceDB: String?

    struct Report: Encodable {
        var archive: String
        var ok: Bool
        var room: String?
        var legacy: Bool
        var database: String
        var dump_version: String?
        var tables: [String: Int64]
        var large_objects: Int
        var config_files: Int
        var sha256: String
        var sidecar: String
        var notes: [String]
        var restore_test: [String: Int64]?
    }

    func run() throws {
        try runReportingErrors { try s3.withLocalArchive(archive) { local in
            let inspection = try ArchiveInspector.inspect(local)
            var restored: [String: Int64]?
            if restoreTest {
                // The room name only selects the env file; the archive's own name is the natural one.
                let room = inspection.manifest?.room_name ?? "room"
                var flags = connection.flags
                flags.maintenanceDatabase = maintenanceDB
                let settings = try RoomSettings.resolve(room: (try? RoomSettings.validateRoomName(room)) != nil ? room : "room", flags: flags)
                restored = try RestoreTest.run(archive: local, inspection: inspection, settings: settings)
            }
            let report = Report(
                archive: archive, ok: true, room: inspection.manifest?.room_name, legacy: inspection.isLegacy,
                database: inspection.database.rawValue, dump_version: inspection.dumpVersion,
                tables: inspection.tableRows, large_objects: inspection.largeObjects, config_files: inspection.configFiles, sha256: inspection.sha256,
                sidecar: inspection.sidecar, notes: inspection.notes, restore_test: restored)
            if output.json {
                print(try jsonString(report))
            } else if !output.quiet {
                let rows = inspection.tableRows.values.reduce(0, +)
                print("""
                    OK \(archive)
                      room      \(report.room ?? "?")\(report.legacy ? " (made by the old scripts)" : "")
                      database  \(report.database)\(report.dump_version.map { " \($0)" } ?? ""): \(inspection.tableRows.count) tables, \(formatCount(rows)) rows\(inspection.largeObjects > 0 ? ", \(formatCount(Int64(inspection.largeObjects))) large objects" : "")
                      config    \(report.config_files) files
                      sha256    \(report.sha256) (sidecar: \(report.sidecar))
                    """)
                if let restored { print("  restored  \(restored.count) tables, \(formatCount(restored.values.reduce(0, +))) rows in a throwaway database: counts match") }
                for note in report.notes { print("  note      \(note)") }
            }
        } }
    }
}

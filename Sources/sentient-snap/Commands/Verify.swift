import ArgumentParser
import Foundation
import SentientSnap

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an archive end to end without changing anything.",
        discussion: """
            Reads the whole archive: gzip CRCs and sizes, tar checksums, safe entry names and \
            links, every SHA-256 and size in manifest.json, the structure and row counts of \
            db/database.dump, the <archive>.sha256 sidecar and, when present, the SSH signature \
            <archive>.sig (a present but invalid one is damage). With --trusted-keys (or \
            SENTIENT_TRUSTED_KEYS) the signature is required, by a key that allowed_signers file \
            lists for namespace sentient-snap. Exit 0 only when all hold. \
            With --restore-test it also restores the database into a throwaway database on the \
            given server (flags as for restore), compares row counts and drops it again. An \
            s3://BUCKET/PREFIX/ARCHIVE is downloaded first (room checked, into --work-dir), \
            checked against its sidecar on the store, then checked as a local file and removed.

            EXAMPLES:
              sentient-snap verify \\
                  /var/backups/sentient/sentient-pharaohs-20240115-143022.tar.gz
              sentient-snap verify ARCHIVE --json
              sentient-snap verify ARCHIVE --trusted-keys /etc/sentient/allowed_signers
              sentient-snap verify ARCHIVE --restore-test --pg-port 5433

            \(exitStatusHelp)
            """
    )

    @Argument(help: "The archive (.tar.gz, .tar.gz.age with --identity, or s3://BUCKET/PREFIX/ARCHIVE) to check.")
    var archive: String

    @OptionGroup var output: OutputOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(name: .customLong("trusted-keys"), help: "allowed_signers file: refuse the archive (exit 65) unless a key it lists signed it (default: SENTIENT_TRUSTED_KEYS; without either, a present .sig is checked but not required).")
    var trustedKeys: String?
    @OptionGroup var identity: IdentityOptions

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
        var signature: SignatureReport?
        var notes: [String]
        var restore_test: [String: Int64]?
    }

    func run() throws {
        try runReportingErrors { try s3.withLocalArchive(archive) { local in
            let progress = progressOptions.reporter(output)
            defer { progress.clear() }
            progress.plan(ProgressPlans.verify(archiveBytes: Restore.fileSize(local)))
            let inspection = try ArchiveInspector.inspect(local, signatures: try signaturePolicy(), keys: try identity.keys()) { bytes in
                progress.update { $0.update(done: Double(bytes)); return true }
            }
            progress.finish()
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
                sidecar: inspection.sidecar, signature: inspection.signature, notes: inspection.notes, restore_test: restored)
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
                      signature \(report.signature?.summary ?? "none (no .sig)")
                    """)
                if let restored { print("  restored  \(restored.count) tables, \(formatCount(restored.values.reduce(0, +))) rows in a throwaway database: counts match") }
                for note in report.notes { print("  note      \(note)") }
            }
        } }
    }

    /// `--trusted-keys`, else SENTIENT_TRUSTED_KEYS as the room's settings give it (the room
    /// named by the archive's file name: its env file, then the environment).
    func signaturePolicy() throws -> SignaturePolicy {
        let room = BackupFileName.parse((archive as NSString).lastPathComponent)?.room
        let settings = try trustedKeys == nil ? room.map { try RoomSettings.resolve(room: $0, flags: connection.flags) } : nil
        let setting = settings?.trustedKeys ?? (room == nil ? ProcessInfo.processInfo.environment["SENTIENT_TRUSTED_KEYS"] : nil)
        guard let file = KeyFile.resolve(flag: trustedKeys, flagName: "--trusted-keys", setting: setting, key: "SENTIENT_TRUSTED_KEYS", settings: settings) else {
            return .checkIfPresent
        }
        return .require(try TrustedKeys.load(file))
    }
}

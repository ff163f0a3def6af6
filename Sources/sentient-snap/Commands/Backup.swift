import ArgumentParser
import Foundation
import SentientSnap

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up one room into <output_dir>/sentient-<room>-YYYYMMDD-HHMMSS.tar.gz.",
        discussion: """
            Dumps the room's database from one consistent snapshot (no pg_dump, no docker exec), \
            stores its config tree, writes the archive as a hidden .partial file, fsyncs and \
            renames it, then writes <archive>.sha256 and, with --sign-key, the SSH signature \
            <archive>.sig. Archives are created mode 0600. \
            Settings come from flags, then <env-dir>/<room>.env, then the environment, then \
            PGHOST/PGPORT/PGUSER/PGDATABASE, then defaults. The password is never a flag: \
            SENTIENT_PG_PASSWORD in the env file, PGPASSWORD or ~/.pgpass.

            EXAMPLES:
              sentient-snap backup pharaohs /var/backups/sentient
              sentient-snap backup clockwork /var/backups/sentient --pg-port 5433
              sentient-snap backup pharaohs /mnt/nas --host 10.0.0.5 --no-config --json

            \(exitStatusHelp)
            """
    )

    @Argument(help: "Room name (letters, digits, '_' and '-').")
    var room: RoomName

    @Argument(help: "Existing, writable directory for the archive.")
    var outputDir: String

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var hooks: HookOptions
    @OptionGroup var metrics: MetricsOptions

    @OptionGroup var dump: BackupOptions

    @Flag(name: .customLong("allow-root"), help: "Allow running as root.")
    var allowRoot = false

    func validate() throws {
        try room.validate()
        if output.json && output.quiet {
            throw ValidationError("--json and --quiet cannot be combined.")
        }
    }

    func runCommand() throws {
        try checkRoot(allowRoot: allowRoot, command: "backup")
        SignalCleanup.install()
        try runReportingErrors {
            let settings = try RoomSettings.resolve(room: room.name, flags: connection.flags)
            let request = try dump.request(settings: settings, outputDirectory: outputDir)
            let progress = progressOptions.reporter(output)
            defer { progress.clear() }
            let job = BackupJob(request) { event in
                switch event {
                case .warning(let message):
                    progress.clear()
                    if !output.quiet { FileHandle.standardError.write(Data("sentient-snap: warning: \(message)\n".utf8)) }
                case .connected:
                    break
                case .planned(let tables):
                    progress.plan(ProgressPlans.backup(tables, encrypted: !request.encryptTo.isEmpty))
                case .progress, .encrypting:
                    progress.update { $0.apply(event) }
                }
            }
            let result = try job.run()
            HookContext.shared.archive = result.archive
            MetricsContext.shared.values = result.metricValues
            progress.finish()
            if output.json {
                print(try jsonString(result))
            } else if !output.quiet {
                let tableCount = result.tables.count
                print("""
                    Backed up room \(result.room)
                      archive   \(result.archive)
                      size      \(formatBytes(result.size))
                      sha256    \(result.sha256)
                      signature \(result.signature.map { "\($0) (by \(result.signed_by ?? "?"))" } ?? "none (no --sign-key)")
                      database  \(tableCount) table\(tableCount == 1 ? "" : "s"), \(formatCount(result.total_rows)) rows (PostgreSQL \(result.server_version))
                      config    \(dump.noConfig ? "not included (--no-config)" : "\(result.config_files) files")
                      mqtt      \(result.mqtt.map { "\(formatCount(Int64($0.messages))) retained messages, \(formatBytes($0.bytes))" } ?? (dump.noMQTT ? "not included (--no-mqtt)" : "not included (broker did not answer)"))
                      took      \(String(format: "%.1f", result.duration_seconds)) s
                    """)
            }
        }
    }
}

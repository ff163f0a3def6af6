import ArgumentParser
import Foundation
import SentientSnap

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up one room into <output_dir>/sentient-<room>-YYYYMMDD-HHMMSS.tar.gz.",
        discussion: """
            Dumps the room's database from one consistent snapshot (no pg_dump, no docker exec),
            stores its config tree, writes the archive as a hidden .partial file, fsyncs and
            renames it, then writes <archive>.sha256. Archives are created mode 0600.
            Settings come from flags, then <env-dir>/<room>.env, then the environment, then
            PGHOST/PGPORT/PGUSER/PGDATABASE, then defaults. The password is never a flag:
            SENTIENT_PG_PASSWORD in the env file, PGPASSWORD or ~/.pgpass.

            EXAMPLES:
              sentient-snap backup pharaohs /var/backups/sentient
              sentient-snap backup clockwork /var/backups/sentient --pg-port 5433
              sentient-snap backup pharaohs /mnt/nas --host 10.0.0.5 --no-config --json

            \(exitStatusHelp)
            """
    )

    @Argument(help: "Room name (letters, digits, '_' and '-').")
    var room: String

    @Argument(help: "Existing, writable directory for the archive.")
    var outputDir: String

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var hooks: HookOptions

    @Flag(name: .customLong("no-config"), help: "Back up the database only (for backups from another host).")
    var noConfig = false

    @Option(name: .customLong("compress-level"), help: "gzip level 1-9 (default: 5).")
    var compressLevel: Int32 = 5

    @Option(help: "Compression threads (default: number of cores). The dump uses one database connection.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .customLong("serializable-deferrable"), help: "Take the snapshot as SERIALIZABLE READ ONLY DEFERRABLE.")
    var serializableDeferrable = false

    @Flag(name: .customLong("strict-room"), help: "Fail (not warn) when the database's events name another room.")
    var strictRoom = false

    @Option(name: .customLong("lock-timeout"), help: "How long to wait for table locks, e.g. 30s (default: wait).")
    var lockTimeout: String?

    @Flag(name: .customLong("no-owner"), help: "Leave object owners out of the dump.")
    var noOwner = false

    @Flag(name: .customLong("no-acl"), help: "Leave GRANTs out of the dump.")
    var noACL = false

    @Flag(name: .customLong("no-mqtt"), help: "Do not back up the MQTT broker's retained messages.")
    var noMQTT = false

    @Flag(name: .customLong("require-mqtt"), help: "Fail (exit 69) when the MQTT broker does not answer, instead of warning and backing up without its state.")
    var requireMQTT = false

    @Option(name: .customLong("mqtt-settle"), help: "Seconds without a new retained message after which the MQTT capture is complete (default: 0.5).")
    var mqttSettle: Double = 0.5

    @Flag(name: .customLong("allow-root"), help: "Allow running as root.")
    var allowRoot = false

    func validate() throws {
        do {
            try RoomSettings.validateRoomName(room)
        } catch let error as SnapError {
            throw ValidationError(error.message)
        }
        guard (1...9).contains(compressLevel) else {
            throw ValidationError("--compress-level \(compressLevel) is out of range: use 1 (fastest) to 9 (smallest).")
        }
        guard (1...256).contains(jobs) else {
            throw ValidationError("--jobs \(jobs) is out of range: use 1 to 256.")
        }
        if output.json && output.quiet {
            throw ValidationError("--json and --quiet cannot be combined.")
        }
        if noMQTT && requireMQTT {
            throw ValidationError("--no-mqtt and --require-mqtt cannot be combined.")
        }
        guard mqttSettle > 0 && mqttSettle <= 5 else {
            throw ValidationError("--mqtt-settle \(mqttSettle) is out of range: use more than 0 and at most 5 seconds.")
        }
    }

    func runCommand() throws {
        try checkRoot(allowRoot: allowRoot, command: "backup")
        SignalCleanup.install()
        try runReportingErrors {
            let settings = try RoomSettings.resolve(room: room, flags: connection.flags)
            var request = BackupRequest(settings: settings, outputDirectory: outputDir)
            request.includeConfig = !noConfig
            request.compressionLevel = compressLevel
            request.jobs = jobs
            request.serializableDeferrable = serializableDeferrable
            request.strictRoom = strictRoom
            request.lockTimeout = lockTimeout
            request.noOwner = noOwner
            request.noACL = noACL
            request.includeMQTT = !noMQTT
            request.requireMQTT = requireMQTT
            request.mqttLimits.settle = mqttSettle
            let progress = ProgressLine(enabled: !output.quiet && !output.json && isatty(STDERR_FILENO) == 1)
            let job = BackupJob(request) { event in
                switch event {
                case .warning(let message):
                    progress.clear()
                    if !output.quiet { FileHandle.standardError.write(Data("sentient-snap: warning: \(message)\n".utf8)) }
                case .connected:
                    break
                case .progress(let p, let compressed):
                    progress.update("backing up \(room): table \(p.tableIndex + 1)/\(p.tableCount) \(p.table): \(formatCount(p.rows)) rows, \(formatBytes(p.bytes)) -> \(formatBytes(compressed))")
                }
            }
            let result = try job.run()
            HookContext.shared.archive = result.archive
            progress.clear()
            if output.json {
                print(try jsonString(result))
            } else if !output.quiet {
                let tableCount = result.tables.count
                print("""
                    Backed up room \(result.room)
                      archive   \(result.archive)
                      size      \(formatBytes(result.size))
                      sha256    \(result.sha256)
                      database  \(tableCount) table\(tableCount == 1 ? "" : "s"), \(formatCount(result.total_rows)) rows (PostgreSQL \(result.server_version))
                      config    \(noConfig ? "not included (--no-config)" : "\(result.config_files) files")
                      mqtt      \(result.mqtt.map { "\(formatCount(Int64($0.messages))) retained messages, \(formatBytes($0.bytes))" } ?? (noMQTT ? "not included (--no-mqtt)" : "not included (broker did not answer)"))
                      took      \(String(format: "%.1f", result.duration_seconds)) s
                    """)
            }
        }
    }
}

import ArgumentParser
import Foundation
import SentientSnap

extension RoomControlMode: ExpressibleByArgument {}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a room from an archive: verify, staging restore, atomic swap, restart, wait for /ready.",
        discussion: """
            The whole archive is verified first; a damaged or unsafe archive is refused before \
            anything changes, and so is one whose <archive>.sig is present but invalid, or, with \
            --trusted-keys (or SENTIENT_TRUSTED_KEYS), one not signed by a key that \
            allowed_signers file lists. The database is restored into a staging database while the room \
            keeps running, then swapped in with connections blocked (the old one is kept as \
            <db>_pre_restore_<ts>; the newest --keep-pre-restore of those are kept, and the plan \
            names any it drops), the config directory is swapped (the old one is kept as \
            <room>.pre-restore.<ts>), the room is restarted and /ready is awaited. Any failure \
            before the swap leaves the room exactly as it was. A restore holds the room's lock \
            (the one backups into the archive's directory take) from before its plan to its end.

            EXAMPLES:
              sentient-snap restore pharaohs \\
                  /var/backups/sentient/sentient-pharaohs-20240115-143022.tar.gz
              sentient-snap restore pharaohs ARCHIVE --dry-run
              sentient-snap restore clockwork ARCHIVE --pg-port 5433 --room-control none \\
                  --no-wait --force
              # a PostgreSQL user without CREATEDB; not atomic:
              sentient-snap restore pharaohs ARCHIVE --in-place
              # a new host with only the archive (and the room image):
              sentient-snap restore pharaohs ARCHIVE --create-room --force

            \(exitStatusHelp)
            """
    )

    @Argument(help: "Room name (letters, digits, '_' and '-').")
    var room: RoomName

    @Argument(help: "The archive (.tar.gz, .tar.gz.age with --identity, or s3://BUCKET/PREFIX/ARCHIVE, downloaded first) to restore.")
    var archive: String

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var s3: S3ArchiveOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var identity: IdentityOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var hooks: HookOptions
    @OptionGroup var metrics: MetricsOptions
    @OptionGroup(title: "Creating the room on a bare host") var creation: RoomCreationFlags

    @Flag(help: "Skip the confirmation prompt.")
    var force = false

    @Option(name: .customLong("maintenance-db"), help: "Database to connect to for CREATE/RENAME DATABASE (default: postgres).")
    var maintenanceDB: String?

    @Option(name: .customLong("room-control"), help: "How to restart the room.")
    var roomControl: RoomControlMode = .auto

    @Option(help: "Container name (default: sentient-<room>).")
    var container: String?

    @Option(name: .customLong("ready-timeout"), help: "Seconds to wait for /ready.")
    var readyTimeout: Double = 60

    @Flag(name: .customLong("no-wait"), help: "Do not wait for /ready.")
    var noWait = false

    @Flag(name: .customLong("no-config"), help: "Leave the config directory as it is.")
    var noConfig = false

    @Flag(name: .customLong("no-db"), help: "Leave the database as it is.")
    var noDB = false

    @Flag(name: .customLong("in-place"), help: "Restore into the live database itself, for PostgreSQL users without CREATEDB; NOT atomic: a failure half-way leaves it incomplete (default: off, use a staging database).")
    var inPlace = false

    @Flag(name: .customLong("no-mqtt"), help: "Leave the MQTT broker's retained messages as they are.")
    var noMQTT = false

    @Flag(name: .customLong("mqtt-keep-extra"), help: "Keep retained topics the archive does not have (default: clear them).")
    var mqttKeepExtra = false

    @Option(name: .customLong("keep-pre-restore"), help: "How many <db>_pre_restore_<ts> databases to keep, this restore's included; the plan names any older ones it drops.")
    var keepPreRestore: Int = 2

    @Flag(name: .customLong("dry-run"), help: "Show the plan and change nothing.")
    var dryRun = false

    @Flag(name: .customLong("verify-first"), help: "Read and verify the whole archive before the plan, then read it again to restore it (default: one read, verified as it is restored into staging; the swap waits for every check).")
    var verifyFirst = false

    @Option(help: "Parallel connections: each table's rows are loaded over them, then indexes and constraints are built on them; 1 loads every table in one stream.")
    var jobs: Int = 2

    @Flag(name: .customLong("no-owner"), help: "Do not restore object owners; everything belongs to the restoring user.")
    var noOwner = false

    @Flag(name: .customLong("no-acl"), help: "Do not restore GRANTs.")
    var noACL = false

    @Flag(name: .customLong("create-roles"), help: "Create roles the server lacks (NOLOGIN) instead of stopping.")
    var createRoles = false

    @Flag(name: .customLong("allow-index-failures"), help: "Restore without an index the server cannot build, name it and exit 75, instead of stopping with nothing changed.")
    var allowIndexFailures = false

    @Flag(name: .customLong("no-tablespaces"), help: "Ignore the archive's tablespaces: every table and index goes to the database's default tablespace.")
    var noTablespaces = false

    @Flag(name: .customLong("text-copy"), help: "Send table rows as the archive's COPY text, as pg_restore does, instead of as binary COPY where every column is of a built-in type it converts exactly (slower: the server parses every field).")
    var textCopy = false

    @Option(name: .customLong("trusted-keys"), help: "allowed_signers file: refuse the archive (exit 65, nothing changed) unless a key it lists signed it (default: SENTIENT_TRUSTED_KEYS; without either, a present .sig is checked but not required).")
    var trustedKeys: String?

    @Flag(name: .customLong("allow-root"), help: "Allow running as root.")
    var allowRoot = false

    func validate() throws {
        try room.validate()
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs \(jobs) is out of range: use 1 to 64.") }
        guard keepPreRestore >= 1 else { throw ValidationError("--keep-pre-restore \(keepPreRestore): keep at least 1 (the database this restore replaces).") }
        guard readyTimeout > 0 else { throw ValidationError("--ready-timeout must be positive.") }
        if noConfig && noDB && noMQTT { throw ValidationError("--no-config, --no-db and --no-mqtt together leave nothing to restore.") }
        if inPlace && noDB { throw ValidationError("--in-place restores the database: it cannot be combined with --no-db.") }
        if output.json && output.quiet { throw ValidationError("--json and --quiet cannot be combined.") }
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    func runCommand() throws {
        try checkRoot(allowRoot: allowRoot, command: "restore")
        SignalCleanup.install()
        try runReportingErrors {
            var flags = connection.flags
            flags.maintenanceDatabase = maintenanceDB
            flags.container = container
            let settings = try RoomSettings.resolve(room: room.name, flags: flags)
            let progress = progressOptions.reporter(output)
            defer { progress.clear() }
            let fetched = try s3.fetch(archive, progress: progress.download { ProgressPlans.restore(archiveBytes: $0, downloaded: true) })
            defer { fetched?.remove() }
            var request = RestoreRequest(settings: settings, archive: fetched?.path ?? archive)
            request.keys = try identity.keys(settings: settings)
            request.roomControl = roomControl
            request.readyTimeout = readyTimeout
            request.waitForReady = !noWait
            request.restoreConfig = !noConfig
            request.restoreDatabase = !noDB
            request.inPlace = inPlace
            request.dryRun = dryRun
            request.verifyFirst = verifyFirst
            request.jobs = jobs
            request.noOwner = noOwner
            request.noACL = noACL
            request.createRoles = createRoles
            request.allowIndexFailures = allowIndexFailures
            request.noTablespaces = noTablespaces
            request.textCopy = textCopy
            request.restoreMQTT = !noMQTT
            request.mqttKeepExtra = mqttKeepExtra
            request.keepPreRestore = keepPreRestore
            request.trustedKeys = KeyFile.resolve(flag: trustedKeys, flagName: "--trusted-keys", setting: settings.trustedKeys, key: "SENTIENT_TRUSTED_KEYS", settings: settings)
            request.createRoom = creation.options(interactive: !force && isatty(STDIN_FILENO) == 1)
            // JSON progress names the phases itself: no plain step lines between its objects.
            let quiet = output.quiet || output.json || progressOptions.mode == .json
            if fetched == nil { progress.plan(ProgressPlans.restore(archiveBytes: Self.fileSize(request.archive))) }
            let job = RestoreJob(request, events: { event in
                switch event {
                case .warning(let message):
                    progress.clear()
                    if !output.quiet { FileHandle.standardError.write(Data("sentient-snap: warning: \(message)\n".utf8)) }
                case .step(let text):
                    progress.clear()
                    if !quiet { FileHandle.standardError.write(Data("\(text)\n".utf8)) }
                case .progress, .phase, .verifying:
                    progress.update { $0.apply(event) }
                }
            }, confirm: { plan, _ in
                progress.clear()
                if force { return true }
                guard isatty(STDIN_FILENO) == 1 else {
                    throw SnapError(.usage, "restore replaces room \(room.name)'s data and needs confirmation, but stdin is not a terminal: pass --force to proceed without asking")
                }
                FileHandle.standardError.write(Data(("This restore will:\n" + plan.map { "  - \($0)\n" }.joined() + "Proceed? [y/N] ").utf8))
                let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                return answer == "y" || answer == "yes"
            })
            var result: RestoreResult
            do {
                result = try job.run()
            } catch {
                throw fetched?.rename(error) ?? error
            }
            if fetched != nil { result.archive = archive }
            MetricsContext.shared.values = result.metricValues
            if result.dry_run { progress.clear() } else { progress.finish() }
            if output.json {
                print(try jsonString(result))
            } else if !output.quiet {
                if result.dry_run {
                    print("Dry run: nothing was changed. The restore would:\n" + result.plan.map { "  - \($0)" }.joined(separator: "\n"))
                } else {
                    var lines = ["Restored room \(result.room) from \(result.archive)"]
                    lines.append("  signature \(result.signature?.summary ?? "none (no .sig)")")
                    if let database = result.database {
                        lines.append("  database  \(database): \(formatCount(result.rows_restored)) rows in \(result.tables.count) tables"
                            + (result.previous_database.map { " (previous kept as \($0))" } ?? ""))
                    }
                    if let dropped = result.dropped_databases.first { lines.append("  dropped   older pre-restore database(s): \(result.dropped_databases.joined(separator: ", "))"); _ = dropped }
                    if let config = result.config_dir {
                        lines.append("  config    \(config)" + (result.previous_config_dir.map { " (previous kept as \($0))" } ?? ""))
                    }
                    if let after = result.rows_after_swap, after > 0 {
                        lines.append("  note      \(after) event(s) arrived after the swap, before the restart")
                    }
                    if let mqtt = result.mqtt {
                        lines.append("  mqtt      \(mqtt.published) retained messages on \(mqtt.broker)"
                            + (mqtt.cleared > 0 ? ", \(mqtt.cleared) other topics cleared" : "") + (mqtt.kept_extra > 0 ? ", \(mqtt.kept_extra) other topics kept" : ""))
                    }
                    if let created = result.room_created { lines.append("  created   \(created)") }
                    lines.append("  room      " + (result.restarted ? "restarted via \(result.room_control)" : "not restarted (room control: \(result.room_control))"))
                    if let ready = result.ready { lines.append("  ready     " + (ready ? "yes" : "NO")) }
                    lines.append("  took      \(String(format: "%.1f", result.duration_seconds)) s")
                    print(lines.joined(separator: "\n"))
                }
            }
            if !result.attention.isEmpty {
                for item in result.attention { FileHandle.standardError.write(Data("sentient-snap: attention: \(item)\n".utf8)) }
                throw ExitCode(ExitStatus.attention)
            }
        }
    }
}

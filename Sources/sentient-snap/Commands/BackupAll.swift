import ArgumentParser
import Foundation
import SentientSnap

struct BackupAll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-all",
        abstract: "Back up every room that has an env file, one archive each.",
        discussion: """
            Finds <room>.env in the env dir (default /etc/sentient) and backs up each room into \
            <output_dir>, as backup would, --parallel rooms at a time. A failed room does not \
            stop the others; the summary lists each room's outcome and the exit status is 1 if \
            any room failed. Hooks run once per room.

            Which env files are rooms: <room>.env with a valid room name other than offsite.env \
            (the offsite sync's settings), that sets at least one room setting — a SENTIENT_PG_* \
            or SENTIENT_*_PORT key, SENTIENT_HOST, SENTIENT_ROOMS_DIR, SENTIENT_CONTAINER, \
            SENTIENT_MAINTENANCE_DB or SENTIENT_MQTT_*. Other .env files are skipped and named \
            on stderr (and under "skipped" with --json); an unreadable one counts as a room, so \
            its failure shows.

            EXAMPLES:
              sentient-snap backup-all /var/backups/sentient
              sentient-snap backup-all /var/backups/sentient --env-dir /etc/sentient \\
                  --parallel 2 --json
              sentient-snap backup-all /var/backups/sentient \\
                  --on-failure 'mail -s "backup $SENTIENT_HOOK_ROOM failed" ops@example.com </dev/null'

            \(exitStatusHelp)
            """
    )

    @Argument(help: "Existing, writable directory for the archives.")
    var outputDir: String

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var hooks: HookOptions
    @OptionGroup var metrics: MetricsOptions

    @Option(help: "Rooms backed up at the same time.")
    var parallel: Int = 1

    @OptionGroup var dump: BackupOptions

    @Flag(name: .customLong("allow-root"), help: "Allow running as root.")
    var allowRoot = false

    func validate() throws {
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel \(parallel) is out of range: use 1 to 64.") }
        if output.json && output.quiet { throw ValidationError("--json and --quiet cannot be combined.") }
    }

    struct RoomOutcome: Encodable {
        var room: String
        var ok: Bool
        var exit_code: Int32
        var archive: String?
        var size: Int64?
        var duration_seconds: Double
        var error: String?
    }

    struct Summary: Encodable {
        var output_dir: String
        var rooms: [RoomOutcome]
        var failed: Int
        /// Env files in the env dir that are not rooms, and why.
        var skipped: [RoomDirectory.Skipped]
    }

    func run() throws {
        try checkRoot(allowRoot: allowRoot, command: "backup-all")
        SignalCleanup.install()
        try runReportingErrors {
            let envDir = connection.envDir ?? ProcessInfo.processInfo.environment["SENTIENT_ENV_DIR"] ?? RoomSettings.defaultEnvDir
            let (rooms, skipped) = try RoomDirectory.scan(envDir: envDir)
            if !output.quiet {
                for skip in skipped {
                    FileHandle.standardError.write(Data("sentient-snap: note: skipping \((envDir as NSString).appendingPathComponent(skip.file)): \(skip.reason)\n".utf8))
                }
            }
            guard !rooms.isEmpty else {
                let also = skipped.isEmpty ? "" : " (skipped, not rooms: \(skipped.map(\.file).joined(separator: ", ")))"
                throw SnapError(.inputNotFound, "no <room>.env files in \(envDir)\(also): nothing to back up")
            }
            let progress = BackupAllProgress(reporter: progressOptions.reporter(output), rooms: rooms, parallel: parallel)
            defer { progress.reporter.clear() }
            let outcomes = runBounded(rooms, parallel: parallel) { room in backUp(room, envDir: envDir, progress: progress) }
            progress.reporter.finish()
            let failed = outcomes.filter { !$0.ok }.count
            if output.json {
                print(try jsonString(Summary(output_dir: outputDir, rooms: outcomes, failed: failed, skipped: skipped)))
            } else if !output.quiet {
                var rows = [["ROOM", "RESULT", "SIZE", "TIME", "ARCHIVE / ERROR"]]
                for o in outcomes {
                    rows.append([
                        o.room, o.ok ? "ok" : "FAILED (\(o.exit_code))", o.size.map(formatBytes) ?? "-",
                        String(format: "%.1f s", o.duration_seconds),
                        o.archive ?? (o.error ?? "").split(separator: "\n").first.map(String.init) ?? "",
                    ])
                }
                print(formatTable(rows))
                print("\(outcomes.count - failed) of \(outcomes.count) room(s) backed up")
            }
            if failed > 0 { throw ExitCode(ExitStatus.failure) }
        }
    }

    /// One room, as `backup` would do it; never throws.
    func backUp(_ room: String, envDir: String, progress: BackupAllProgress) -> RoomOutcome {
        let started = Date()
        var values: [String: Double] = [:]
        var outcome = RoomOutcome(room: room, ok: false, exit_code: 1, archive: nil, size: nil, duration_seconds: 0, error: nil)
        do {
            var flags = connection.flags
            flags.envDir = envDir
            let settings = try RoomSettings.resolve(room: room, flags: flags)
            let request = try dump.request(settings: settings, outputDirectory: outputDir)
            let result = try BackupJob(request) { event in
                if case .warning(let message) = event, !output.quiet {
                    progress.reporter.clear()
                    FileHandle.standardError.write(Data("sentient-snap: warning: \(room): \(message)\n".utf8))
                }
                progress.event(event, room: room, encrypted: !request.encryptTo.isEmpty)
            }.run()
            outcome.ok = true
            outcome.exit_code = 0
            outcome.archive = result.archive
            outcome.size = result.size
            values = result.metricValues
        } catch {
            outcome.exit_code = ExitStatus.code(for: error)
            outcome.error = String(describing: error)
            progress.reporter.clear()
            FileHandle.standardError.write(Data("sentient-snap: error: \(room): \(outcome.error!)\n".utf8))
        }
        outcome.duration_seconds = Date().timeIntervalSince(started)
        metrics.write(MetricsRun(kind: .backup, room: room, started: started, exitCode: outcome.exit_code, values: values))
        progress.done(room)
        if (outcome.ok ? hooks.onSuccess : hooks.onFailure) != nil { progress.reporter.clear() }  // the hook may write
        let message = outcome.ok ? "backup of \(room) succeeded" : outcome.error ?? "backup of \(room) failed"
        if let hook = outcome.ok ? hooks.onSuccess : hooks.onFailure,
           let problem = Hook.run(hook, outcome: HookOutcome(command: "backup-all", room: room, archive: outcome.archive, exitCode: outcome.exit_code, message: message), stdoutToStderr: output.json) {
            FileHandle.standardError.write(Data("sentient-snap: warning: \(outcome.ok ? "--on-success" : "--on-failure") hook for \(room) failed: \(problem)\n".utf8))
        }
        return outcome
    }
}

import ArchiveWriter
import Foundation
import RoomWires
import PGDump
import PGWire

/// Restores a room: verify, staging restore while the room runs, atomic swap, restart, wait.
public final class RestoreJob {
    let request: RestoreRequest
    let events: @Sendable (RestoreEvent) -> Void
    /// Asked once with the plan; returns true to go ahead. The CLI prompts or honours --force.
    private let confirm: ([String], [String]) throws -> Bool
    private var warnings: [String] = []

    public init(
        _ request: RestoreRequest, events: @escaping @Sendable (RestoreEvent) -> Void = { _ in },
        confirm: @escaping (_ plan: [String], _ warnings: [String]) throws -> Bool
    ) {
        self.request = request
        self.events = events
        self.confirm = confirm
    }

    func warn(_ message: String) {
        warnings.append(message)
        events(.warning(message))
    }

    public func run() throws -> RestoreResult {
        let started = Date()
        let settings = request.settings
        let room = settings.room
        settings.warnings.forEach(warn)

        // 1. Verify the whole archive before touching anything.
        events(.step("verifying \(request.archive)"))
        events(.phase(.verify(archiveBytes: Self.fileSize(request.archive))))
        let inspection = try ArchiveInspector.inspect(request.archive) { [events] in events(.verifying(bytesRead: $0)) }
        inspection.notes.forEach { warn($0) }
        if let archived = inspection.manifest?.room_name, archived != room {
            warn("the archive belongs to room '\(archived)', not '\(room)'")
        }
        let restoreDatabase = request.restoreDatabase && inspection.database != .none
        let configDir = settings.roomDirectory
        let restoreConfig = request.restoreConfig && inspection.configFiles > 0
        if request.restoreConfig && inspection.configFiles == 0 {
            warn("the archive holds no config files; the config directory is left as it is")
        }

        // The archive's MQTT state, read now so a damaged one is refused before anything changes.
        let retained = try readRetained(inspection)

        // 2. PostgreSQL must answer (starting a stopped room container if we control it).
        let control = try resolveRoomControl()
        var maintenance: Connection?
        if restoreDatabase {
            let connection = try connectMaintenance(control: control)
            settings.plaintextWarning(for: connection).map(warn)
            maintenance = connection
        }
        // The room's lock, held from before the plan to the end (a dry run changes nothing and
        // takes none): a running backup or restore of the room finishes first.
        let roomLock = request.dryRun ? nil : try RoomLock.forRestore(
            room: room, archive: request.archive, database: maintenance.map { ($0, settings.pgDatabase) }, warn: warn)
        defer { roomLock?.release() }

        // 3. The plan, and confirmation.
        let stamp = Self.stamp(request.now)
        let live = settings.pgDatabase
        let staging = Self.databaseName(live, suffix: "_restore_\(stamp)")
        let previous = Self.databaseName(live, suffix: "_pre_restore_\(stamp)")
        let liveExists = try maintenance.map { try Self.databaseExists($0, live) } ?? false
        if restoreDatabase && !liveExists, let maintenance {
            try DatabaseSwap.checkInterruptedSwap(maintenance, live: live)
        }
        var retention = PreRestoreRetention(keep: [], drop: [], future: [])
        var retentionLine: String?
        var blockedLive: String?
        if restoreDatabase && liveExists, let maintenance {
            blockedLive = try DatabaseSwap.blockedLive(maintenance, live: live)
            blockedLive.map(warn)
        }
        if restoreDatabase && !request.inPlace && liveExists, let maintenance {
            retention = try DatabaseSwap.retention(maintenance, live: live, adding: previous, now: request.now, keep: request.keepPreRestore)
            let described = DatabaseSwap.describe(retention, now: request.now, keep: request.keepPreRestore)
            retentionLine = described.line
            described.warnings.forEach(warn)
        }
        var plan: [String] = []
        let manifest = inspection.manifest
        plan.append("archive: \(request.archive) (room \(manifest?.room_name ?? "?"), taken \(manifest?.timestamp ?? "?"), revision \(manifest?.version ?? "?"))")
        if restoreDatabase && request.inPlace {
            guard liveExists else {
                throw SnapError(.inputNotFound, "--in-place restores into the existing database \(live), which does not exist on \(settings.host):\(settings.pgPort); leave out --in-place (needs CREATEDB); nothing was changed")
            }
            plan.append(InPlaceRestore.planLine(live: live, settings: settings))
        } else if restoreDatabase {
            plan.append("database: restore into staging database \(staging) on \(settings.host):\(settings.pgPort) while the room runs, then swap it in as \(live)"
                + (liveExists ? " (the current one is kept as \(previous))" : " (no database \(live) exists yet)"))
            if let retentionLine { plan.append(retentionLine) }
            if blockedLive != nil { plan.append("note: \(live) has ALLOW_CONNECTIONS false (see the warning); it is swapped out and kept as \(previous) with connections allowed again") }
        } else {
            plan.append("database: left as it is")
        }
        if restoreConfig {
            plan.append("config: replace \(configDir)" + (FileManager.default.fileExists(atPath: configDir) ? " (the current one is kept as \(configDir).pre-restore.\(stamp))" : ""))
        } else {
            plan.append("config: left as it is")
        }
        plan.append("room: \(control == .none ? "not restarted (room control: none)" : "restarted via \(control.rawValue)")")
        if let retained {
            plan.append("mqtt: make the broker at \(settings.mqttOptions.broker) hold the archive's \(retained.messages.count) retained messages"
                + (request.mqttKeepExtra ? " (other retained topics are kept)" : " (other retained topics are cleared)"))
        } else {
            plan.append("mqtt: left as it is" + (request.restoreMQTT ? " (the archive holds no MQTT state)" : ""))
        }
        if request.dryRun {
            return RestoreResult(
                room: room, archive: request.archive, dry_run: true, database: restoreDatabase ? live : nil,
                previous_database: nil, dropped_databases: [], config_dir: restoreConfig ? configDir : nil,
                previous_config_dir: nil, tables: [:], rows_restored: 0, rows_after_swap: nil,
                room_control: control.rawValue, restarted: false, ready: nil,
                duration_seconds: Date().timeIntervalSince(started), warnings: warnings, attention: [], plan: plan)
        }
        guard try confirm(plan, warnings) else {
            throw SnapError(.failure, "restore cancelled; nothing was changed")
        }

        // The config: extracted and checked against the manifest now, so the swap window below
        // holds only renames. Removed again on any failure before its commit.
        var configSwap: ConfigSwap?
        defer { configSwap?.discard() }
        if restoreConfig {
            events(.step("extracting the config into \(ConfigSwap.tempPath(configDir: configDir, stamp: stamp))"))
            configSwap = try ConfigSwap.prepare(archive: request.archive, inspection: inspection, configDir: configDir, stamp: stamp)
        }

        // 4. Staging restore while the room keeps running.
        var tables: [String: Int64] = [:]
        var loaded = RestoreStats()
        if restoreDatabase { events(.phase(.load(tables: manifest?.database?.tables ?? []))) }
        if restoreDatabase && request.inPlace {
            events(.step("restoring in place into \(live) (not atomic)"))
            loaded = try InPlaceRestore.run(
                settings: settings, archive: request.archive, inspection: inspection, jobs: request.jobs,
                allowIndexFailures: request.allowIndexFailures
            ) { [events] progress in events(.progress(progress)) }
            tables = loaded.rows
        } else if restoreDatabase, let maintenance {
            events(.step("restoring into staging database \(staging)"))
            loaded = try restoreStaging(maintenance, live: live, liveExists: liveExists, staging: staging, inspection: inspection)
            tables = loaded.rows
        }

        // 5. Swap the database. Steps 5-6 are not cut short by SIGINT/SIGTERM (see PartialFiles).
        PartialFiles.shared.beginCritical()
        var inCritical = true
        defer { if inCritical { PartialFiles.shared.endCritical() } }
        var dropped: [String] = []
        var previousDatabase: String?
        var swapStarted: Date?
        var swapDuration: Double?
        var swapAttention: [String] = []
        if restoreDatabase, !request.inPlace, let maintenance {
            events(.phase(.swap))
            events(.step("swapping \(staging) in as \(live)"))
            swapStarted = Date()
            let outcome = try DatabaseSwap(maintenance: maintenance, live: live, staging: staging, previous: previous).swap(liveExists: liveExists)
            previousDatabase = outcome.previous
            swapAttention = outcome.attention
            swapDuration = Date().timeIntervalSince(swapStarted!)
            dropped = DatabaseSwap.dropPreRestore(
                maintenance, live: live, planned: retention.drop, now: request.now, keep: request.keepPreRestore, warn: warn)
        }

        // 6. Swap the config directory; undo the database swap if that fails.
        var previousConfig: String?
        if let configSwap {
            events(.step("replacing \(configDir)"))
            do {
                let committed = try configSwap.commit(now: request.now)
                previousConfig = committed.previous
                committed.warnings.forEach(warn)
            } catch {
                if restoreDatabase && request.inPlace {
                    throw SnapError(.ioFailure, "replacing the config directory failed (\(error)); the database was already restored in place (that cannot be undone), the config directory is as it was", underlying: error)
                }
                var note = ""
                if let maintenance, restoreDatabase {
                    note = try DatabaseSwap(maintenance: maintenance, live: live, staging: staging, previous: previous)
                        .undo(kept: previousDatabase, cause: "replacing the config directory failed (\(error))")
                }
                throw SnapError(.ioFailure, "replacing the config directory failed (\(error)); the database swap was undone, so the room is as it was" + note)
            }
        }

        PartialFiles.shared.endCritical()
        inCritical = false

        // 7. Restart the room at once.
        var restarted = false
        var attention: [String] = swapAttention + loaded.failedIndexes.map {
            "index \($0) — it could not be built on this server, so the database was restored without it (--allow-index-failures); create it by hand once the cause is fixed"
        }
        if !loaded.skippedForFailedIndexes.isEmpty {
            attention.append("left out with the failed index(es): \(loaded.skippedForFailedIndexes.joined(separator: ", "))")
        }
        if control == .docker || control == .systemd { events(.phase(.restart)) }
        do {
            switch control {
            case .docker:
                try DockerEngine().restart(settings.container)
                restarted = true
            case .systemd:
                try SystemdUnit(room: room).run("restart")
                restarted = true
            case .auto, .none:
                break
            }
        } catch {
            attention.append("the room could not be restarted: \(error) — restart it by hand")
        }

        // Rows the old orchestrator wrote into the restored database after the swap. A full scan,
        // longer as the table grows: on its own thread (its snapshot is taken now), so the MQTT
        // step and the wait for /ready do not wait for it.
        var afterSwapCount: BackgroundValue<Int64>?
        if restoreDatabase, let restoredEvents = tables["public.events"] {
            let connectionSettings = settings.connection
            afterSwapCount = BackgroundValue {
                let connection = try? Connection(connectionSettings)
                guard let row = try? connection?.query("SELECT count(*) FROM public.events").first,
                      let now = try? row.get(0, as: Int64.self) else { return nil }
                return max(0, now - restoredEvents)
            }
        }

        // 8. MQTT, once the broker answers (also with room control none).
        var mqtt: RetainedState.ApplyResult?
        if let retained {
            events(.phase(.mqtt))
            events(.step("restoring \(retained.messages.count) retained MQTT messages on \(settings.mqttOptions.broker)"))
            do {
                mqtt = try applyRetained(retained)
            } catch {
                attention.append("MQTT state was not restored: \(error) — the database and config are restored; once the broker answers, run: sentient-snap restore \(room) \(request.archive) --no-db --no-config --room-control none")
            }
        }

        // 9. Wait for /ready.
        var ready: Bool?
        if request.waitForReady {
            events(.phase(.ready))
            events(.step("waiting for http://\(settings.host):\(settings.apiPort)/ready"))
            ready = waitForReady(host: settings.host, port: settings.apiPort, timeout: request.readyTimeout)
            if ready == false {
                attention.append("the room did not answer /ready with 200 on port \(settings.apiPort) within \(Int(request.readyTimeout)) s; the data is restored — check the room's logs")
            }
        }

        let rowsAfterSwap = afterSwapCount?.wait()

        return RestoreResult(
            room: room, archive: request.archive, dry_run: false, database: restoreDatabase ? live : nil,
            previous_database: previousDatabase, dropped_databases: dropped,
            config_dir: restoreConfig ? configDir : nil, previous_config_dir: previousConfig, tables: tables,
            rows_restored: tables.values.reduce(0, +), rows_after_swap: rowsAfterSwap,
            room_control: control.rawValue, restarted: restarted, ready: ready,
            duration_seconds: Date().timeIntervalSince(started), warnings: warnings, attention: attention, plan: plan,
            mqtt: mqtt, swap_started_at: swapStarted.map(Self.isoFractional), swap_duration_seconds: swapDuration)
    }

    /// Set by `resolveRoomControl` when `auto` found a local Docker engine that answers but no
    /// room container: should PostgreSQL not answer either, the runbook says why.
    var autoFoundNoContainer = false

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}

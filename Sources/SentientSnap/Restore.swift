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
    /// `request.now`, or the first second after it whose names are free (see `firstFreeSecond`).
    private var now: Date

    public init(
        _ request: RestoreRequest, events: @escaping @Sendable (RestoreEvent) -> Void = { _ in },
        confirm: @escaping (_ plan: [String], _ warnings: [String]) throws -> Bool
    ) {
        self.request = request
        self.events = events
        self.confirm = confirm
        self.now = request.now
    }

    /// The names this restore keeps things under (`<db>_restore_<ts>`, `<db>_pre_restore_<ts>`,
    /// `<room>.pre-restore.<ts>`) are by the second: a second restore of the room in the same
    /// second (the room's lock makes them sequential) would find the first one's copies there
    /// and fail at the swap. Taking the next free second keeps both restores' copies.
    private func firstFreeSecond(_ maintenance: Connection?, live: String, configDir: String) throws -> Date {
        var candidate = request.now
        for _ in 0..<600 {
            let stamp = Self.stamp(candidate)
            let names = ["_restore_", "_pre_restore_"].map { Self.databaseName(live, suffix: $0 + stamp) }
            let databaseTaken = try maintenance.map { connection in try names.contains { try Self.databaseExists(connection, $0) } } ?? false
            let configTaken = ["\(configDir).pre-restore.\(stamp)", ConfigSwap.tempPath(configDir: configDir, stamp: stamp)]
                .contains { FileManager.default.fileExists(atPath: $0) }
            if !databaseTaken && !configTaken { return candidate }
            candidate += 1
        }
        throw SnapError(.failure, "the restore names for \(live) are taken for the next 600 seconds (\(Self.stamp(request.now)) on): look for leftover \(live)_restore_* databases; nothing was changed")
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

        // 1. The archive: read whole and verified before anything else (--verify-first), or
        // only its head now and the rest in one pass with the staging load, every check done
        // before the swap (SinglePassRestore.swift).
        let opening = try openArchive()
        var inspection = opening.inspection
        var onePass = opening.onePass
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

        // The archive's MQTT state, read now so a damaged one is refused before anything changes
        // (in the one pass: read with the rest, before the swap).
        var retained = onePass ? nil : try readRetained(inspection)

        // 2. PostgreSQL must answer (starting a stopped room container if we control it). On a
        // bare host whose room is to be created, it answers only after step 3b.
        var control = try resolveRoomControl()
        // Creating the room (the config goes in first) or starting a stopped one: only for an
        // archive verified whole, as before the one pass.
        let verifyWholeNow = {
            guard onePass else { return }
            inspection = try self.verifyWhole(trusted: try self.request.trustedKeys.map { try TrustedKeys.load($0) }, digests: opening.digests)
            retained = try self.readRetained(inspection)
            onePass = false
        }
        if creation != nil { try verifyWholeNow() }
        var maintenance: Connection?
        if restoreDatabase && creation == nil {
            let connection = try connectMaintenance(control: control, beforeStart: verifyWholeNow)
            settings.plaintextWarning(for: connection).map(warn)
            maintenance = connection
        }
        // The room's lock, held from before the plan to the end (a dry run changes nothing and
        // takes none): a running backup or restore of the room finishes first.
        let roomLock = request.dryRun ? nil : try RoomLock.forRestore(
            room: room, archive: request.archive, database: maintenance.map { ($0, settings.pgDatabase) }, warn: warn)
        defer { roomLock?.release() }

        // 3. The plan, and confirmation.
        let live = settings.pgDatabase
        now = try firstFreeSecond(maintenance, live: live, configDir: settings.roomDirectory)
        let stamp = Self.stamp(now)
        let staging = Self.databaseName(live, suffix: "_restore_\(stamp)")
        let previous = Self.databaseName(live, suffix: "_pre_restore_\(stamp)")
        var facts = LiveFacts()
        if restoreDatabase, let maintenance {
            facts = try liveFacts(maintenance, live: live, previous: previous)
        }
        var plan: [String] = []
        let manifest = inspection.manifest
        plan.append("archive: \(request.archive) (room \(manifest?.room_name ?? "?"), taken \(manifest?.timestamp ?? "?"), revision \(manifest?.version ?? "?"))")
        plan.append("signature: " + (inspection.signature?.summary
            ?? (onePass && opening.signatureInPass ? "present; checked as the archive is read, before the swap (not against trusted keys: no --trusted-keys)" : "none (the archive has no .sig)")))
        if let creation { plan.append(creation.planLine) }
        if restoreDatabase && request.inPlace {
            if creation == nil { try requireLiveForInPlace(facts) }
            plan.append(InPlaceRestore.planLine(live: live, settings: settings))
        } else if restoreDatabase && creation != nil {
            plan.append("database: restore into staging database \(staging) on \(settings.host):\(settings.pgPort) once the new room's PostgreSQL answers, then swap it in as \(live)"
                + " (a database \(live) the new room made is kept as \(previous))")
        } else if restoreDatabase {
            let liveExists = facts.exists
            let retentionLine = facts.retentionLine
            let blockedLive = facts.blocked
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
        let retainedCount = retained?.messages.count
            ?? (onePass && request.restoreMQTT && manifest?.contents.mqtt == true ? manifest?.mqtt?.messages ?? 0 : nil)
        if let retainedCount {
            plan.append("mqtt: make the broker at \(settings.mqttOptions.broker) hold the archive's \(retainedCount) retained messages"
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
                duration_seconds: Date().timeIntervalSince(started), warnings: warnings, attention: [], plan: plan,
                signature: inspection.signature)
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
            configSwap = onePass
                ? try ConfigSwap.begin(configDir: configDir, stamp: stamp)
                : try ConfigSwap.prepare(archive: request.archive, inspection: inspection, configDir: configDir, stamp: stamp)
        }

        // 3b. A bare host: the config first (the new container mounts it), then the room, then
        // its PostgreSQL. The database is restored below as on any host.
        var previousConfig: String?
        if let creation {
            var done = "nothing was changed"
            if let swap = configSwap {
                events(.step("restoring \(configDir)"))
                let committed = try swap.commit(now: now)
                previousConfig = committed.previous
                committed.warnings.forEach(warn)
                configSwap = nil
                done = "the config directory \(configDir) was restored" + (committed.previous.map { " (the previous one is kept as \($0))" } ?? "")
            }
            do {
                try creation.create(events: events)
                if restoreDatabase {
                    let connection = try creation.waitForPostgres(timeout: request.createRoom.postgresTimeout ?? max(request.readyTimeout, 120), events: events)
                    settings.plaintextWarning(for: connection).map(warn)
                    try DatabaseSwap.lockDatabase(connection, live: live) {
                        warn("another restore of \(room) (database \(live)) is running; waiting for it to finish")
                    }
                    maintenance = connection
                    facts = try liveFacts(connection, live: live, previous: previous)
                    if request.inPlace { try requireLiveForInPlace(facts) }
                }
            } catch let error as SnapError {
                throw SnapError(error.code, error.message + "\nThe database was not touched; \(done). Run the restore again once the cause is fixed.", underlying: error.underlying)
            }
            if let dropping = facts.retentionLine { warn(dropping) }
        }
        let liveExists = facts.exists
        let retention = facts.retention

        // 4. Staging restore while the room keeps running.
        var tables: [String: Int64] = [:]
        var loaded = RestoreStats()
        if restoreDatabase { events(.phase(.load(tables: manifest?.database?.tables ?? []))) }
        if restoreDatabase && request.inPlace {
            events(.step("restoring in place into \(live) (not atomic)"))
            loaded = try InPlaceRestore.run(
                settings: settings, archive: request.archive, inspection: inspection, options: request.engineOptions
            ) { [events] progress in events(.progress(progress)) }
            tables = loaded.rows
        } else if restoreDatabase, let maintenance {
            events(.step("restoring into staging database \(staging)"))
            loaded = try restoreStaging(maintenance, live: live, liveExists: liveExists, staging: staging) { target in
                guard onePass else { return try loadVerified(target, inspection: inspection) }
                let read = try readAndLoad(opening, target: target, config: configSwap)
                inspection = read.inspection
                retained = read.retained
                return read.stats
            }
            tables = loaded.rows
        }
        let eventsMark = restoreDatabase && !request.inPlace && tables["public.events"] != nil
            ? Self.eventIdMark(request.settings.connection.with(database: staging)) : nil

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
                maintenance, live: live, planned: retention.drop, now: now, keep: request.keepPreRestore, warn: warn)
        }

        // 6. Swap the config directory; undo the database swap if that fails.
        if let configSwap {
            events(.step("replacing \(configDir)"))
            do {
                let committed = try configSwap.commit(now: now)
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
        if creation != nil && creation?.options.startCommand != nil && control == .docker,
           (try? DockerEngine().state(settings.container)) == nil {
            control = .none
            attention.append("the start command made no container \(settings.container), so the room was not restarted after the restore — restart it by hand so it reads the restored data")
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

        // Rows the old orchestrator wrote into the restored database after the swap: those above
        // the restored events' highest event_id (an index lookup), or, without an index on it,
        // the table's count less the rows restored (a full scan, longer as the table grows). On
        // its own thread (its snapshot is taken now), so the MQTT step and the wait for /ready
        // do not wait for it.
        var afterSwapCount: BackgroundValue<Int64>?
        if restoreDatabase, let restoredEvents = tables["public.events"] {
            let connectionSettings = settings.connection
            afterSwapCount = BackgroundValue {
                let connection = try? Connection(connectionSettings)
                if let mark = eventsMark {
                    // The restored table has no statistics yet: the planner would guess a third
                    // of the rows and scan them all.
                    try? connection?.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
                    let row = try? connection?.query("SELECT count(*) FROM public.events WHERE event_id > $1", [String(mark)]).first
                    return try? row?.get(0, as: Int64.self)
                }
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
            mqtt: mqtt, swap_started_at: swapStarted.map(Self.isoFractional), swap_duration_seconds: swapDuration,
            signature: inspection.signature, room_created: creation?.summary,
            copy: restoreDatabase ? loaded.copyChunks.mapValues(CopyReport.init) : nil)
    }

    /// The restored events' highest event_id, read from staging before the swap, when an
    /// integer event_id leads a valid index (so both reads are index lookups); nil when there is
    /// no such index, the table is empty or the query fails.
    static func eventIdMark(_ staging: ConnectionSettings) -> Int64? {
        guard let connection = try? Connection(staging),
              let indexed = try? connection.query("""
                  SELECT 1 FROM pg_catalog.pg_index i
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = 'public.events'::pg_catalog.regclass AND i.indisvalid AND i.indpred IS NULL
                    AND a.attname = 'event_id' AND a.atttypid IN ('pg_catalog.int8'::pg_catalog.regtype,
                        'pg_catalog.int4'::pg_catalog.regtype, 'pg_catalog.int2'::pg_catalog.regtype)
                  """).rows, !indexed.isEmpty,
              let row = try? connection.query("SELECT max(event_id)::pg_catalog.int8 FROM public.events").first,
              let max = try? row.optional(0, as: Int64.self)
        else { return nil }
        return max
    }

    /// The live database as the plan and the swap need it.
    struct LiveFacts {
        var exists = false
        var blocked: String?
        var retention = PreRestoreRetention(keep: [], drop: [], future: [])
        var retentionLine: String?
    }

    private func liveFacts(_ maintenance: Connection, live: String, previous: String) throws -> LiveFacts {
        var facts = LiveFacts()
        facts.exists = try Self.databaseExists(maintenance, live)
        if !facts.exists {
            try DatabaseSwap.checkInterruptedSwap(maintenance, live: live)
            return facts
        }
        facts.blocked = try DatabaseSwap.blockedLive(maintenance, live: live)
        facts.blocked.map(warn)
        if !request.inPlace {
            facts.retention = try DatabaseSwap.retention(maintenance, live: live, adding: previous, now: now, keep: request.keepPreRestore)
            let described = DatabaseSwap.describe(facts.retention, now: now, keep: request.keepPreRestore)
            facts.retentionLine = described.line
            described.warnings.forEach(warn)
        }
        return facts
    }

    private func requireLiveForInPlace(_ facts: LiveFacts) throws {
        let settings = request.settings
        guard facts.exists else {
            throw SnapError(.inputNotFound, "--in-place restores into the existing database \(settings.pgDatabase), which does not exist on \(settings.host):\(settings.pgPort); leave out --in-place (needs CREATEDB); nothing was changed")
        }
    }

    /// Set by `resolveRoomControl` when `auto` found a local Docker engine that answers but no
    /// room container: should PostgreSQL not answer either, the runbook says why.
    var autoFoundNoContainer = false
    /// Set by `resolveRoomControl` when the room's container is to be created (a bare host).
    var creation: RoomCreation?

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}

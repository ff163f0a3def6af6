import ArchiveWriter
import Foundation
import PGDump
import PGWire

/// What to restore and how (DESIGN.md "Restore flow").
public struct RestoreRequest: Sendable {
    public var settings: RoomSettings
    public var archive: String
    public var roomControl: RoomControlMode = .auto
    public var readyTimeout: Double = 60
    public var waitForReady = true
    public var restoreDatabase = true
    public var restoreConfig = true
    /// Load into the live database itself instead of a staging database (for users without
    /// CREATEDB). Not atomic: see `InPlaceRestore`. Default false.
    public var inPlace = false
    public var dryRun = false
    public var jobs = 2
    /// Leave owners / grants out, or create missing roles NOLOGIN (roles are not in archives).
    public var noOwner = false
    public var noACL = false
    public var createRoles = false
    /// Indexes the target cannot build are reported (the result's `attention`, exit 75) and
    /// left out, instead of stopping the restore (`--allow-index-failures`).
    public var allowIndexFailures = false
    /// Ignore the archive's tablespaces: everything goes to the database's default (`--no-tablespaces`).
    public var noTablespaces = false
    public var now = Date()
    /// Make the broker's retained messages the archive's, when it has them (`--no-mqtt` turns it off).
    public var restoreMQTT = true
    /// Leave retained topics the archive does not have (`--mqtt-keep-extra`); default: clear them.
    public var mqttKeepExtra = false
    /// Settle time and caps for reading the broker's current retained set.
    public var mqttLimits = RetainedState.CaptureLimits()
    /// How many `<db>_pre_restore_<ts>` databases to keep, this restore's included (`--keep-pre-restore`).
    public var keepPreRestore = PreRestoreRetention.defaultKeep

    public init(settings: RoomSettings, archive: String) {
        self.settings = settings
        self.archive = archive
    }
}

/// What a restore did (`--json` prints it).
public struct RestoreResult: Codable, Sendable {
    public var room: String
    public var archive: String
    public var dry_run: Bool
    public var database: String?
    public var previous_database: String?
    public var dropped_databases: [String]
    public var config_dir: String?
    public var previous_config_dir: String?
    public var tables: [String: Int64]
    public var rows_restored: Int64
    public var rows_after_swap: Int64?
    public var room_control: String
    public var restarted: Bool
    public var ready: Bool?
    public var duration_seconds: Double
    public var warnings: [String]
    /// Non-empty when the restore finished but something needs a human (exit 75).
    public var attention: [String]
    public var plan: [String]
    /// What the MQTT step did; nil when it did not run or failed (see `attention`).
    public var mqtt: RetainedState.ApplyResult? = nil
    /// When the database swap began (live connections blocked), ISO-8601 UTC with fractions, and
    /// how long the swap itself took; nil without a swap. Downtime = swap start to `/ready` 200.
    public var swap_started_at: String? = nil
    public var swap_duration_seconds: Double? = nil
}

public enum RestoreEvent: Sendable {
    case warning(String)
    case step(String)
    case progress(RestoreProgress)
}

/// Restores a room: verify, staging restore while the room runs, atomic swap, restart, wait.
public final class RestoreJob {
    private let request: RestoreRequest
    private let events: (RestoreEvent) -> Void
    /// Asked once with the plan; returns true to go ahead. The CLI prompts or honours --force.
    private let confirm: ([String], [String]) throws -> Bool
    private var warnings: [String] = []

    public init(
        _ request: RestoreRequest, events: @escaping (RestoreEvent) -> Void = { _ in },
        confirm: @escaping (_ plan: [String], _ warnings: [String]) throws -> Bool
    ) {
        self.request = request
        self.events = events
        self.confirm = confirm
    }

    private func warn(_ message: String) {
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
        let inspection = try ArchiveInspector.inspect(request.archive)
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
                    throw SnapError(.ioFailure, "replacing the config directory failed (\(error)); the database was already restored in place (that cannot be undone), the config directory is as it was")
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

    // MARK: - Steps

    /// `mqtt/retained.json`, when the archive captured MQTT state and the restore wants it.
    private func readRetained(_ inspection: ArchiveInspection) throws -> RetainedSnapshot? {
        guard request.restoreMQTT, inspection.manifest?.contents.mqtt == true else { return nil }
        let name = "\(inspection.topDirectory)/mqtt/retained.json"
        guard inspection.hasMQTT else {
            throw SnapError(.damagedArchive, "\(request.archive): manifest.json says MQTT state was captured, but mqtt/retained.json is missing (use --no-mqtt to restore without it)")
        }
        // Kept by the inspection (verified against the manifest): no second pass over the archive.
        if let bytes = inspection.retainedJSON { return try RetainedSnapshot.decode(bytes) }
        do {
            let reader = try TarGzReader(path: request.archive)
            while let entry = try reader.next() {
                guard entry.metadata.name == name else { continue }
                return try RetainedSnapshot.decode(try reader.readAll(limit: 256 << 20))
            }
        } catch let error as ArchiveError {
            throw SnapError(.damagedArchive, "\(request.archive): cannot read mqtt/retained.json: \(error.message)")
        }
        throw SnapError(.damagedArchive, "\(request.archive): mqtt/retained.json is missing")
    }

    /// Restore step 8: retries while the broker does not answer (it may be restarting with the
    /// room), for up to the ready timeout.
    private func applyRetained(_ retained: RetainedSnapshot) throws -> RetainedState.ApplyResult {
        let deadline = Date().addingTimeInterval(request.readyTimeout)
        while true {
            do {
                return try RetainedState.apply(
                    retained, to: request.settings.mqttOptions, keepExtra: request.mqttKeepExtra, limits: request.mqttLimits)
            } catch let error as MQTTError where [.unreachable, .timeout, .connectionLost].contains(error.code) {
                guard Date() < deadline else { throw error }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    /// Set by `resolveRoomControl` when `auto` found a local Docker engine that answers but no
    /// room container: should PostgreSQL not answer either, the runbook says why.
    private var autoFoundNoContainer = false

    /// `auto`: Docker when the host is local, the Docker socket answers and the container
    /// exists; otherwise none. `docker`: the container must exist (else the runbook, exit 69).
    private func resolveRoomControl() throws -> RoomControlMode {
        let settings = request.settings
        switch request.roomControl {
        case .auto:
            guard isLocalHost(settings.host) else { return .none }
            let docker = DockerEngine()
            guard docker.answers else { return .none }
            // A container we cannot inspect counts as absent for `auto` (it falls back to none).
            guard (try? docker.state(settings.container)) != nil else {
                autoFoundNoContainer = true
                warn("room control auto: Docker answers here but has no container \(settings.container); the room will not be restarted")
                return .none
            }
            return .docker
        case .docker:
            let docker = DockerEngine()
            guard try docker.state(settings.container) != nil else {
                throw SnapError(.unreachable, Self.runbook(settings) + "\nNothing was changed.")
            }
            return .docker
        case .systemd, .none:
            return request.roomControl
        }
    }

    /// Connects to the maintenance database. When PostgreSQL does not answer and the room runs
    /// in Docker, starts its container if it is stopped and waits for PostgreSQL (DESIGN.md
    /// "Restore flow" step 2).
    /// - Throws: `SnapError(.unreachable)` with the runbook when `auto` found Docker but no
    ///   container; `SnapError(.unreachable)` when PostgreSQL does not come up after a start;
    ///   else the `PGError` of the connection.
    private func connectMaintenance(control: RoomControlMode) throws -> Connection {
        let settings = request.settings
        do {
            return try Connection(settings.maintenanceConnection)
        } catch let error as PGError where error.code == .connectionRefused || error.code == .connectionFailed {
            if control == .none && autoFoundNoContainer {
                throw SnapError(.unreachable, "PostgreSQL does not answer on \(settings.host):\(settings.pgPort), and "
                    + Self.runbook(settings) + "\nNothing was changed.")
            }
            guard control == .docker else { throw error }
            let docker = DockerEngine()
            guard let state = try docker.state(settings.container) else {
                throw SnapError(.unreachable, Self.runbook(settings) + "\nNothing was changed.")
            }
            if !state.running {
                events(.step("starting the stopped container \(settings.container)"))
                try docker.start(settings.container)
            }
            let wait = max(request.readyTimeout, 30)
            events(.step("waiting for PostgreSQL on \(settings.host):\(settings.pgPort)"))
            let deadline = Date().addingTimeInterval(wait)
            while Date() < deadline {
                if let connection = try? Connection(settings.maintenanceConnection) { return connection }
                Thread.sleep(forTimeInterval: 0.5)
            }
            throw SnapError(.unreachable, "PostgreSQL did not answer on \(settings.host):\(settings.pgPort) within \(Int(wait)) s"
                + (state.running ? "" : " after starting the container \(settings.container)")
                + " (\(error.message)) — check `docker logs \(settings.container)`; nothing was changed")
        }
    }

    /// Why a Docker room cannot be restored into, and what to do (the recovery runbook).
    static func runbook(_ settings: RoomSettings) -> String {
        """
        the room's container \(settings.container) does not exist, so the restore can neither start nor restart the room.
        Recovery: start the room once with the Sentient Engine's start script (it creates the container and an
        empty database), then run this restore again. If this room does not run in Docker, pass
        --room-control systemd or none.
        """
    }

    /// Creates the staging database, restores the dump into it, checks row counts. On any
    /// failure the staging database is dropped and nothing else has changed.
    private func restoreStaging(
        _ maintenance: Connection, live: String, liveExists: Bool, staging: String, inspection: ArchiveInspection
    ) throws -> RestoreStats {
        var create = "CREATE DATABASE \(quoteIdentifier(staging)) TEMPLATE template0"
        if liveExists {
            let row = try maintenance.query("""
                SELECT pg_catalog.pg_get_userbyid(datdba), pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype
                FROM pg_catalog.pg_database WHERE datname = $1
                """, [live]).rows[0]
            create += " OWNER \(quoteIdentifier(try row.get(0))) ENCODING \(quoteLiteral(try row.get(1)))"
                + " LC_COLLATE \(quoteLiteral(try row.get(2))) LC_CTYPE \(quoteLiteral(try row.get(3)))"
        }
        do {
            try maintenance.execute(create)
        } catch let error as PGError {
            throw SnapError(.failure, "cannot create the staging database \(staging): \(error.serverMessage) — the PostgreSQL user needs CREATEDB (nothing was changed)")
        }
        // SIGINT/SIGTERM before the swap: drop the staging database on the way out (the swap
        // unregisters this before it starts).
        let maintenanceSettings = request.settings.maintenanceConnection
        PartialFiles.shared.registerAction("staging") {
            do {
                try Connection(maintenanceSettings).execute("DROP DATABASE IF EXISTS \(quoteIdentifier(staging)) WITH (FORCE)")
                return "the staging database \(staging) was dropped; nothing was changed"
            } catch {
                return "the live database was not changed, but the staging database \(staging) could not be dropped (\(error)): once PostgreSQL answers, run DROP DATABASE \(quoteIdentifier(staging)) WITH (FORCE); from the maintenance database"
            }
        }
        defer { PartialFiles.shared.unregisterAction("staging") }
        do {
            var options = RestoreOptions()
            options.jobs = request.jobs
            options.noOwner = request.noOwner
            options.noACL = request.noACL
            options.createRoles = request.createRoles
            options.allowIndexFailures = request.allowIndexFailures
            options.noTablespaces = request.noTablespaces
            let stats = try ArchiveDatabase.load(
                archive: request.archive, inspection: inspection, target: request.settings.connection.with(database: staging),
                options: options) { [events] progress in events(.progress(progress)) }
            if let wrong = ArchiveDatabase.rowMismatches(stats.rows, inspection: inspection).first {
                throw SnapError(.failure, "table \(wrong.table) has \(wrong.restored ?? 0) rows after the staging restore, the archive says \(wrong.expected)")
            }
            return stats
        } catch {
            // SIGINT/SIGTERM: the handler drops the staging database (which is what made the load
            // fail) and reports it; the process exits with the signal's status.
            if PartialFiles.shared.interrupted {
                throw SnapError(.interrupted, "interrupted; the staging database \(staging) is dropped on the way out; nothing was changed")
            }
            guard dropStaging(maintenance, staging) else {
                throw SnapError(.failure, "\(error) — the live database was not changed, but the staging database \(staging) could not be dropped (the server is down or restarting?): once PostgreSQL answers, run DROP DATABASE \(quoteIdentifier(staging)) WITH (FORCE); from the maintenance database")
            }
            throw Self.nothingChanged(error)
        }
    }

    /// Drops the staging database; when the maintenance connection was lost (the server
    /// restarted), tries again on fresh connections for a few seconds. True when it is gone.
    private func dropStaging(_ maintenance: Connection, _ staging: String) -> Bool {
        let drop = "DROP DATABASE IF EXISTS \(quoteIdentifier(staging)) WITH (FORCE)"
        if (try? maintenance.execute(drop)) != nil { return true }
        for _ in 0..<10 {
            if (try? Connection(request.settings.maintenanceConnection).execute(drop)) != nil { return true }
            Thread.sleep(forTimeInterval: 1)
        }
        return false
    }

    /// Wraps a failure before the swap: the message says the room is untouched.
    static func nothingChanged(_ error: Error) -> Error {
        let message = "\(error)"
        if let snap = error as? SnapError { return SnapError(snap.code, snap.message + " (the staging database was dropped; nothing was changed)") }
        if let pg = error as? PGError {
            var copy = pg
            copy.message += " (the staging database was dropped; nothing was changed)"
            return copy
        }
        return SnapError(.failure, message + " (the staging database was dropped; nothing was changed)")
    }

    // MARK: - Names

    static func isoFractional(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return formatter.string(from: date)
    }

    /// `<db><suffix>`, shortened with a hash of the full name when over 63 bytes.
    public static func databaseName(_ base: String, suffix: String) -> String {
        let full = base + suffix
        guard full.utf8.count > 63 else { return full }
        var hash: UInt32 = 2_166_136_261
        for byte in full.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let tag = "_" + String(hash, radix: 16)
        var prefix = base
        while (prefix + tag + suffix).utf8.count > 63 { prefix.removeLast() }
        return prefix + tag + suffix
    }

    static func databaseExists(_ connection: Connection, _ name: String) throws -> Bool {
        try connection.query("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", [name]).count > 0
    }
}

/// A value computed on its own thread from the moment it is created; `wait()` returns it.
private final class BackgroundValue<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: T?

    init(_ body: @escaping () -> T?) {
        Thread.detachNewThread { [self] in
            value = body()
            done.signal()
        }
    }

    func wait() -> T? {
        done.wait()
        done.signal()
        return value
    }
}

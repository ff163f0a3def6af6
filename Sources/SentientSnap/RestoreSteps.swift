import ArchiveWriter
import Foundation
import PGDump
import PGWire
import RoomWires

// Restore steps around the flow in Restore.swift: the archive's MQTT state, the staging database.

extension RestoreJob {
    /// `mqtt/retained.json`, when the archive captured MQTT state and the restore wants it.
    func readRetained(_ inspection: ArchiveInspection) throws -> RetainedSnapshot? {
        guard request.restoreMQTT, inspection.manifest?.contents.mqtt == true else { return nil }
        let name = inspection.topDirectory + "/" + ArchiveLayout.mqttRetained
        guard inspection.hasMQTT else {
            throw SnapError(.damagedArchive, "\(request.archive): manifest.json says MQTT state was captured, but mqtt/retained.json is missing (use --no-mqtt to restore without it)")
        }
        // Kept by the inspection (verified against the manifest): no second pass over the archive.
        if let bytes = inspection.retainedJSON { return try RetainedSnapshot.decode(bytes) }
        do {
            let reader = try ArchiveFile.reader(request.archive, keys: inspection.keys).reader
            while let entry = try reader.next() {
                guard entry.metadata.name == name else { continue }
                return try RetainedSnapshot.decode(try reader.readAll(limit: 256 << 20))
            }
        } catch let error as ArchiveError {
            throw SnapError(.damagedArchive, "\(request.archive): cannot read mqtt/retained.json: \(error.message)", underlying: error)
        }
        throw SnapError(.damagedArchive, "\(request.archive): mqtt/retained.json is missing")
    }

    /// Restore step 8: retries while the broker does not answer (it may be restarting with the
    /// room), for up to the ready timeout.
    func applyRetained(_ retained: RetainedSnapshot) throws -> RetainedState.ApplyResult {
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

    /// Creates the staging database, restores the dump into it, checks row counts. On any
    /// failure the staging database is dropped and nothing else has changed.
    func restoreStaging(
        _ maintenance: Connection, live: String, liveExists: Bool, staging: String,
        load: (ConnectionSettings) throws -> RestoreStats
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
            throw SnapError(.failure, "cannot create the staging database \(staging): \(error.serverMessage) — the PostgreSQL user needs CREATEDB (nothing was changed)", underlying: error)
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
            return try load(request.settings.connection.with(database: staging))
        } catch {
            // SIGINT/SIGTERM: the handler drops the staging database (which is what made the load
            // fail) and reports it; the process exits with the signal's status.
            if PartialFiles.shared.interrupted {
                throw SnapError(.interrupted, "interrupted; the staging database \(staging) is dropped on the way out; nothing was changed")
            }
            guard dropStaging(maintenance, staging) else {
                throw SnapError(.failure, "\(error) — the live database was not changed, but the staging database \(staging) could not be dropped (the server is down or restarting?): once PostgreSQL answers, run DROP DATABASE \(quoteIdentifier(staging)) WITH (FORCE); from the maintenance database", underlying: error)
            }
            throw Self.nothingChanged(error)
        }
    }

    /// The staging load of an archive verified before (`--verify-first` and the other cases
    /// `openArchive` reads whole first), with the row counts checked against the manifest.
    func loadVerified(_ target: ConnectionSettings, inspection: ArchiveInspection) throws -> RestoreStats {
        let stats = try ArchiveDatabase.load(
            archive: request.archive, inspection: inspection, target: target,
            options: request.engineOptions) { [events] progress in events(.progress(progress)) }
        if let wrong = ArchiveDatabase.rowMismatches(stats.rows, inspection: inspection).first {
            throw SnapError(.failure, "table \(wrong.table) has \(wrong.restored ?? 0) rows after the staging restore, the archive says \(wrong.expected)")
        }
        return stats
    }

    /// Drops the staging database; when the maintenance connection was lost (the server
    /// restarted), tries again on fresh connections for a few seconds. True when it is gone.
    func dropStaging(_ maintenance: Connection, _ staging: String) -> Bool {
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
        if let snap = error as? SnapError { return SnapError(snap.code, snap.message + " (the staging database was dropped; nothing was changed)", underlying: snap.underlying) }
        if let pg = error as? PGError {
            var copy = pg
            copy.message += " (the staging database was dropped; nothing was changed)"
            return copy
        }
        return SnapError(wrapping: error, message + " (the staging database was dropped; nothing was changed)")
    }
}

/// A value computed on its own thread from the moment it is created; `wait()` returns it.
final class BackgroundValue<T: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let value = Locked<T?>(nil)

    init(_ body: @escaping @Sendable () -> T?) {
        Thread.detachNewThread { [self] in
            let result = body()
            value.withLock { $0 = result }
            done.signal()
        }
    }

    func wait() -> T? {
        done.wait()
        done.signal()
        return value.withLock { $0 }
    }
}

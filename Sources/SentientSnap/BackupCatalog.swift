import ArchiveWriter
import Foundation
import PGWire

/// One backup as `list` shows it: what the file name and the manifest at the archive's head say.
public struct BackupListing: Codable, Sendable {
    public var file: String
    public var path: String
    public var room: String
    /// The file name's local timestamp, `2024-01-15T14:30:22`.
    public var timestamp: String
    public var age_seconds: Double
    public var size: Int64
    /// `room.revision` from room.yaml at backup time (manifest `version`).
    public var revision: String?
    /// Total rows in the dump (our archives only).
    public var rows: Int64?
    /// "present" or "missing" (`list` does not hash archives; `verify` and `status` do).
    public var sidecar: String
    /// `<archive>.sig`: "present" or "missing" (checked by `verify`, not here).
    public var signature: String = "missing"
    /// Made by the old backup-room.sh (no `format_version` in its manifest).
    public var legacy: Bool
    /// Compressed bytes read to find the manifest.
    public var bytes_read: Int64
    /// Why the head could not be read, if it could not.
    public var error: String?
    /// Dated more than a day ahead of now (`BackupFileName.isFutureDated`): not a room's newest.
    public var future_dated: Bool
    /// Encrypted with age (`.tar.gz.age`); without an identity its head is not read.
    public var encrypted: Bool = false
}

/// Reading what an archive says about itself without reading the whole archive.
public enum BackupCatalog {
    /// Entries larger than this are not skipped while looking for a legacy archive's manifest:
    /// the old scripts' `tar -czf` may put it after the dump, and reading past the dump would
    /// mean reading the whole archive.
    static let headScanLimit: Int64 = 4 << 20

    /// The manifest at the head of an archive.
    /// - Returns: the manifest (nil when it is not in the head) and the compressed bytes read.
    /// - Throws: `SnapError(.damagedArchive)` when the head cannot be read.
    public static func readHead(_ path: String, keys: ArchiveKeys = .none) throws -> (manifest: Manifest?, bytesRead: Int64) {
        let reader: TarGzReader
        let bytesRead: () -> Int64
        do {
            (reader, bytesRead) = try ArchiveFile.reader(path, keys: keys)
        } catch let error as ArchiveError {
            throw SnapError(.inputNotFound, "cannot open \(path): \(error.message)", underlying: error)
        }
        do {
            while let entry = try reader.next() {
                let parts = entry.metadata.name.split(separator: "/")
                if parts.count == 2, parts[1] == ArchiveLayout.manifest, case .file = entry.metadata.kind {
                    let bytes = try reader.readAll(limit: 32 << 20)
                    return (try Manifest.decode(bytes), bytesRead())
                }
                if entry.size > headScanLimit { break }
            }
            return (nil, bytesRead())
        } catch let error as ArchiveError {
            throw SnapError(.damagedArchive, "\(path) is damaged: \(error.message)", underlying: error)
        }
    }

    /// The backups in `directory` (optionally of one room), newest first, each described from its
    /// name and the head of the archive. An unreadable archive is listed with its error.
    public static func list(_ directory: String, room: String? = nil, now: Date = Date(), keys: ArchiveKeys = .none) throws -> [BackupListing] {
        try BackupDirectory.scan(directory, room: room).map { file in
            var listing = BackupListing(
                file: file.name.fileName, path: file.path, room: file.name.room, timestamp: localISO(file.name),
                age_seconds: now.timeIntervalSince(file.name.date), size: file.size, revision: nil, rows: nil,
                sidecar: file.hasSidecar ? "present" : "missing", legacy: false, bytes_read: 0, error: nil,
                future_dated: file.name.isFutureDated(now: now))
            listing.signature = file.hasSignature ? "present" : "missing"
            listing.encrypted = file.name.isEncrypted
            // Without an identity the manifest cannot be read: the name says what there is.
            if listing.encrypted && keys.identities.isEmpty { return listing }
            do {
                let (manifest, bytesRead) = try readHead(file.path, keys: keys)
                listing.bytes_read = bytesRead
                if let manifest {
                    listing.revision = manifest.version
                    listing.rows = manifest.database?.total_rows
                    listing.legacy = manifest.format_version == nil
                } else {
                    listing.legacy = true
                    listing.error = "no manifest.json near the head of the archive"
                }
            } catch let error as SnapError {
                listing.error = error.message
            }
            return listing
        }
    }

    static func localISO(_ name: BackupFileName) -> String {
        String(format: "%04d-%02d-%02dT%02d:%02d:%02d", name.year, name.month, name.day, name.hour, name.minute, name.second)
    }
}

/// One room's state as `status` reports it.
public struct RoomBackupStatus: Codable, Sendable {
    public var room: String
    public var archive: String?
    public var timestamp: String?
    public var age_seconds: Double?
    /// The newest archive's time (from its name) as Unix time.
    public var unix_time: Double? = nil
    /// The newest archive's size in bytes.
    public var size: Int64? = nil
    /// The archive passed `verify`'s checks.
    public var verified: Bool
    /// "ok", "missing" or "mismatch" (a mismatch also fails verification).
    public var sidecar: String?
    /// Newer than the maximum age and verified, and no archive dated in the future.
    public var ok: Bool
    public var problems: [String]
    /// Archives dated more than a day ahead of now (a clock that was wrong): reported as a
    /// problem, never taken as the newest.
    public var future_dated: [String]
}

/// The newest backup of each room: how old, and whether it verifies.
public enum BackupStatus {
    /// - Parameters:
    ///   - rooms: rooms that must have a backup even when none is found (e.g. `--room`).
    ///   - database: problems with a room's database (`--check-db`, see `databaseProblems`).
    public static func check(
        _ directory: String, rooms: [String] = [], maxAge: TimeInterval, now: Date = Date(), database: ((String) -> [String])? = nil,
        keys: ArchiveKeys = .none
    ) throws -> [RoomBackupStatus] {
        let files = try BackupDirectory.scan(directory, room: rooms.count == 1 ? rooms[0] : nil)
        return check(directory, files: files, rooms: rooms, maxAge: maxAge, now: now, database: database) { file in
            if file.name.isEncrypted && keys.identities.isEmpty {
                // A host that keeps no identity (as it should not) checks the encrypted bytes
                // against their sidecar; age authenticates every chunk when it is decrypted.
                var problems: [String] = []
                let (verified, sidecar) = sidecarOnly(file.path, problems: &problems)
                return (verified, sidecar, problems)
            }
            let inspection = try ArchiveInspector.inspect(file.path, keys: keys)
            return (true, inspection.sidecar, [])
        }
    }

    /// `check` over any list of backups; `inspect` checks a room's newest one and says whether
    /// it was verified end to end, the sidecar's state and any problems; what it throws becomes a problem.
    static func check(
        _ directory: String, files: [BackupFile], rooms: [String], maxAge: TimeInterval, now: Date, database: ((String) -> [String])?,
        inspect: (BackupFile) throws -> (verified: Bool, sidecar: String, problems: [String])
    ) -> [RoomBackupStatus] {
        var newest: [String: BackupFile] = [:]
        var future: [String: [BackupFile]] = [:]
        for file in files {
            if file.name.isFutureDated(now: now) {
                future[file.name.room, default: []].append(file)
            } else if newest[file.name.room] == nil {
                newest[file.name.room] = file
            }
        }
        let names = Set(newest.keys).union(future.keys).union(rooms).sorted()
        return names.map { room in
            let futureFiles = future[room] ?? []
            let futureProblems = futureFiles.map {
                "\($0.path) is dated in the future (\(BackupCatalog.localISO($0.name)), more than a day ahead of this host's clock): it is not counted as the newest backup; check the clock, then move or delete it"
            }
            guard let file = newest[room] else {
                return RoomBackupStatus(room: room, archive: nil, timestamp: nil, age_seconds: nil, verified: false, sidecar: nil, ok: false,
                                        problems: ["no backup of \(room) in \(directory)" + (futureFiles.isEmpty ? "" : " other than archives dated in the future")] + futureProblems + (database?(room) ?? []),
                                        future_dated: futureFiles.map(\.path))
            }
            let age = now.timeIntervalSince(file.name.date)
            var status = RoomBackupStatus(
                room: room, archive: file.path, timestamp: BackupCatalog.localISO(file.name), age_seconds: age,
                verified: false, sidecar: nil, ok: false, problems: futureProblems, future_dated: futureFiles.map(\.path))
            status.unix_time = file.name.date.timeIntervalSince1970
            status.size = file.size
            if age > maxAge {
                status.problems.append("the newest backup is \(DurationText.describe(age)) old, over the maximum of \(DurationText.describe(maxAge))")
            }
            do {
                let inspection = try inspect(file)
                status.verified = inspection.verified
                status.sidecar = inspection.sidecar
                status.problems += inspection.problems
            } catch let error as SnapError {
                status.problems.append(error.message)
            } catch {
                status.problems.append("\(file.path): \(error)")
            }
            status.problems += database?(room) ?? []
            status.ok = status.problems.isEmpty
            return status
        }
    }

    /// An encrypted archive checked without decrypting it: its SHA-256 against its sidecar.
    static func sidecarOnly(_ path: String, problems: inout [String]) -> (verified: Bool, sidecar: String) {
        guard let text = try? String(contentsOfFile: path + ".sha256", encoding: .utf8) else {
            problems.append("\(path) is encrypted and has no .sha256 sidecar: it cannot be checked without --identity")
            return (false, "missing")
        }
        let recorded = text.split(separator: " ").first.map(String.init) ?? ""
        do {
            guard try BackupJob.sha256(ofFile: path) == recorded else {
                problems.append("\(path) does not match its .sha256 sidecar: the encrypted archive changed or is damaged")
                return (false, "mismatch")
            }
        } catch {
            problems.append("cannot read \(path): \(error)")
            return (false, "missing")
        }
        return (true, "ok")
    }

    /// What is wrong with a room's database on its PostgreSQL (settings as a backup resolves
    /// them): missing, renamed aside by a restore that died between its renames, or refusing
    /// connections (`ALLOW_CONNECTIONS false`). Empty when it is fine.
    public static func databaseProblems(room: String, flags: SettingFlags) -> [String] {
        let place: String
        let settings: RoomSettings
        do {
            settings = try RoomSettings.resolve(room: room, flags: flags)
        } catch {
            return ["cannot check the database of \(room): \(error)"]
        }
        place = "\(settings.host):\(settings.pgPort)"
        do {
            let maintenance = try Connection(settings.maintenanceConnection)
            return try DatabaseSwap.problems(maintenance, live: settings.pgDatabase, where: place)
        } catch {
            return ["cannot check the database \(settings.pgDatabase) of \(room) on \(place): \(error)"]
        }
    }
}

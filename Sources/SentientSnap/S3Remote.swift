import Foundation
import S3

/// `list` and `prune` on `s3://BUCKET/PREFIX`: the local commands' rules over a listing.
public enum S3Remote {
    /// The backups directly under the prefix, by name, with their sizes.
    static func scan(_ client: S3Client, _ location: S3Location, room: String?) throws -> (backups: [BackupFile], keys: Set<String>) {
        let objects = try S3Errors.mapped { try client.list(bucket: location.bucket, prefix: location.prefix) }
        var names: Set<String> = []
        var sizes: [String: Int64] = [:]
        for object in objects {
            let name = String(object.key.dropFirst(location.prefix.count))
            guard !name.isEmpty, !name.contains("/") else { continue }
            names.insert(name)
            sizes[name] = object.size
        }
        var files: [BackupFile] = []
        for name in names {
            guard let parsed = BackupFileName.parse(name), room == nil || parsed.room == room else { continue }
            files.append(BackupFile(name: parsed, path: location.url(name), size: sizes[name] ?? 0, hasSidecar: names.contains(parsed.sidecarName),
                                    hasSignature: names.contains(name + ArchiveSignature.suffix)))
        }
        return (files.sorted { $1.name < $0.name }, names)
    }

    /// `status s3://...`: each room's newest archive by name, its head read with ranged GETs
    /// (as `list` does) and its sidecar looked for; not downloaded, so `verified` stays false
    /// (`verify s3://...` is the full check). A head that cannot be read, or a missing sidecar,
    /// is a problem.
    public static func status(_ location: S3Location, settings: S3Settings, rooms: [String], maxAge: TimeInterval, now: Date = Date(),
                              database: ((String) -> [String])? = nil, keys: ArchiveKeys = .none) throws -> [RoomBackupStatus] {
        let client = settings.client()
        let (files, _) = try scan(client, location, room: rooms.count == 1 ? rooms[0] : nil)
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return BackupStatus.check(location.description, files: files, rooms: rooms, maxAge: maxAge, now: now, database: database) { file in
            let listing = try head(client, location, file, now: now, dir: dir, keys: keys)
            if let error = listing.error { throw SnapError(.damagedArchive, "\(file.path): \(error)") }
            // Encrypted and no identity: the head is not read (list marks it), the sidecar must be there.
            guard file.hasSidecar else { throw SnapError(.damagedArchive, "\(file.path) has no .sha256 sidecar on the store") }
            return (false, "present", [])
        }
    }

    /// A private directory for the heads (the caller removes it).
    static func scratch() throws -> String {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent(".sentient-s3-head-\(getpid())")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return dir
    }

    /// `list s3://...`: each archive's manifest read from its head with ranged GETs (64 KiB,
    /// then up to the local scan limit when the manifest is not in the first range).
    public static func list(_ location: S3Location, settings: S3Settings, room: String? = nil, now: Date = Date(), keys: ArchiveKeys = .none) throws -> [BackupListing] {
        let client = settings.client()
        let (backups, _) = try scan(client, location, room: room)
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try backups.map { try head(client, location, $0, now: now, dir: dir, keys: keys) }
    }

    /// One archive's listing from its head.
    static func head(_ client: S3Client, _ location: S3Location, _ file: BackupFile, now: Date, dir: String, keys: ArchiveKeys = .none) throws -> BackupListing {
        var listing = BackupListing(
            file: file.name.fileName, path: file.path, room: file.name.room, timestamp: BackupCatalog.localISO(file.name),
            age_seconds: now.timeIntervalSince(file.name.date), size: file.size, revision: nil, rows: nil,
            sidecar: file.hasSidecar ? "present" : "missing", legacy: false, bytes_read: 0, error: nil,
            future_dated: file.name.isFutureDated(now: now))
        listing.signature = file.hasSignature ? "present" : "missing"
        listing.encrypted = file.name.isEncrypted
        // Without an identity an encrypted head cannot be read: the name says what there is.
        if listing.encrypted && keys.identities.isEmpty { return listing }
        let headPath = dir + "/" + file.name.fileName
        var result: Result<(manifest: Manifest?, bytesRead: Int64), Error> = .success((nil, 0))
        for length in [Int64(64 << 10), BackupCatalog.headScanLimit + (1 << 20)] {
            let bytes = try S3Errors.mapped {
                try client.get(bucket: location.bucket, key: location.key(file.name.fileName), range: 0...(min(length, max(file.size, 1)) - 1))
            }
            try bytes.write(to: URL(fileURLWithPath: headPath))
            result = Result { try BackupCatalog.readHead(headPath, keys: keys) }
            // A head cut short reads as damaged; read more unless it was the whole object.
            if case .failure = result, length < file.size { continue }
            break
        }
        switch result {
        case .success(let (manifest, bytesRead)):
            listing.bytes_read = bytesRead
            if let manifest {
                listing.revision = manifest.version
                listing.rows = manifest.database?.total_rows
                listing.legacy = manifest.format_version == nil
            } else {
                listing.legacy = true
                listing.error = "no manifest.json near the head of the archive"
            }
        case .failure(let error):
            listing.error = (error as? SnapError)?.message.replacingOccurrences(of: headPath, with: file.path) ?? "\(error)"
        }
        try? FileManager.default.removeItem(atPath: headPath)
        return listing
    }

    /// `prune s3://...`: the same policy per room; an archive that goes takes its `.sha256` and
    /// `.sig` along; multipart uploads older than `staleAfter` under the prefix (a killed sync's)
    /// are aborted and reported with the stale partials.
    public static func prune(_ request: PruneRequest, location: S3Location, settings: S3Settings) throws -> PruneResult {
        let client = settings.client()
        let (backups, keys) = try scan(client, location, room: request.room)
        var byRoom: [String: [BackupFile]] = [:]
        for file in backups { byRoom[file.name.room, default: []].append(file) }
        var result = PruneResult(directory: location.description, dry_run: request.dryRun, policy: request.policy, rooms: [], stale_partials: [], bytes_freed: 0)
        for room in byRoom.keys.sorted() {
            let files = byRoom[room]!
            let sizes = Dictionary(files.map { ($0.name.fileName, $0.size) }, uniquingKeysWith: { a, _ in a })
            var entry = PruneResult.Room(room: room, kept: [], deleted: [], future_dated: [])
            entry.future_dated = files.map(\.name).filter { $0.isFutureDated(now: request.now) }.sorted { $1 < $0 }.map(\.fileName)
            for decision in request.policy.plan(files.map(\.name), now: request.now) {
                let name = decision.backup.fileName
                if decision.keep {
                    entry.kept.append(.init(file: name, reasons: decision.reasons))
                    continue
                }
                for object in [name, name + ".sha256", name + ".sig"] where keys.contains(object) {
                    if !request.dryRun { try S3Errors.mapped { try client.delete(bucket: location.bucket, key: location.key(object)) } }
                }
                entry.deleted.append(name)
                result.bytes_freed += sizes[name] ?? 0
            }
            result.rooms.append(entry)
        }
        let pending = try S3Errors.mapped { try client.listMultipartUploads(bucket: location.bucket, prefix: location.prefix) }
        for upload in pending {
            let name = String(upload.key.dropFirst(location.prefix.count))
            guard !name.contains("/"), let initiated = upload.initiated, request.now.timeIntervalSince(initiated) > request.staleAfter else { continue }
            if let room = request.room, BackupFileName.parse(OffsiteS3Sync.sidecarOwner(name) ?? name)?.room != room { continue }
            if !request.dryRun {
                try S3Errors.mapped { try client.abortMultipartUpload(bucket: location.bucket, key: upload.key, uploadID: upload.uploadID) }
            }
            result.stale_partials.append(name + " (multipart upload \(upload.uploadID))")
        }
        return result
    }
}

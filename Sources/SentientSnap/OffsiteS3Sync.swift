import Foundation
import S3

/// `sync-offsite SRC s3://BUCKET/PREFIX`: the rsync target's guarantees over the S3 API.
/// Only the source's top-level regular files travel (a backup directory is flat); hidden files
/// (`.partial`, `.tmp`) never. An archive goes before its `.sha256` and `.sig`, so a listed
/// sidecar always names an archive that is there; a multipart upload is invisible until it is
/// completed, and a failed one is aborted.
enum OffsiteS3Sync {
    /// How old a pending multipart upload must be before a run aborts it even for a file it is
    /// not uploading itself (another run may still be working on a younger one).
    static let staleUploadAge: TimeInterval = 86400

    static func run(_ request: OffsiteSyncRequest, location: S3Location, started: Date) throws -> OffsiteSyncResult {
        let settings = try S3Settings.resolve(endpoint: request.s3Endpoint, region: request.s3Region, partSizeMiB: request.s3PartSizeMiB,
                                              environment: request.environment)
        let client = settings.client(bandwidthLimit: request.bandwidthLimit.map { $0 * 1024 })
        let local = try localFiles(request)
        let remote = try S3Errors.mapped { try client.list(bucket: location.bucket, prefix: location.prefix) }
        var remoteByName: [String: S3Object] = [:]
        for object in remote {
            let name = String(object.key.dropFirst(location.prefix.count))
            if name.isEmpty || name.contains("/") || name.hasPrefix(".") || !selected(name, request) { continue }
            remoteByName[name] = object
        }
        let localNames = Set(local)
        let doomed = request.delete ? remoteByName.keys.filter { !localNames.contains($0) }.sorted() : []
        if request.delete && !request.dryRun && !request.allowMassDelete {
            let isArchive = { (name: String) in BackupFileName.parse(name) != nil }
            let sourceArchives = local.filter(isArchive).count
            let targetArchives = remoteByName.keys.filter(isArchive).count
            if let refusal = OffsiteSync.massDeleteRefusal(sourceArchives: sourceArchives, targetArchives: targetArchives,
                                                           doomed: doomed.filter(isArchive).count, request: request) {
                throw refusal
            }
        }

        // Multipart uploads a killed run left behind: ours to finish now, or old.
        if !request.dryRun {
            let pending = try S3Errors.mapped { try client.listMultipartUploads(bucket: location.bucket, prefix: location.prefix) }
            for upload in pending {
                let name = String(upload.key.dropFirst(location.prefix.count))
                let old = upload.initiated.map { started.timeIntervalSince($0) > staleUploadAge } ?? false
                if localNames.contains(name) || old {
                    try S3Errors.mapped { try client.abortMultipartUpload(bucket: location.bucket, key: upload.key, uploadID: upload.uploadID) }
                }
            }
        }

        var transferred: [String] = [], verified: [String] = [], failures: [String] = []
        var skipArchive: Set<String> = []
        var uploaded = 0
        do {
        for name in local {
            if let owner = sidecarOwner(name), skipArchive.contains(owner) { continue }
            let path = (request.source as NSString).appendingPathComponent(name)
            let fingerprint = try S3Errors.mapped {
                try FileFingerprint.of(path: path, partSize: settings.partSize, multipartThreshold: settings.multipartThreshold)
            }
            if name.hasSuffix(".tar.gz"), let recorded = sidecarSum(path + ".sha256"), recorded != fingerprint.sha256 {
                failures.append("\(name): the local file does not match its .sha256 sidecar; neither was uploaded")
                skipArchive.insert(name)
                continue
            }
            if let object = remoteByName[name], try S3Errors.mapped({ try client.holds(object, bucket: location.bucket, fingerprint) }) {
                continue
            }
            transferred.append(name)
            if request.dryRun { continue }
            try S3Errors.mapped {
                try client.upload(path: path, bucket: location.bucket, key: location.key(name), expected: fingerprint,
                                  partSize: settings.partSize, multipartThreshold: settings.multipartThreshold,
                                  contentType: name.hasSuffix(".gz") ? "application/gzip" : "text/plain")
            }
            uploaded += 1
            if name.hasSuffix(".tar.gz") { verified.append(name) }
        }
        } catch let error as SnapError {
            throw SnapError(error.code, error.message + "; \(uploaded) file(s) were uploaded before this, no partial or unchecked object is visible and --delete removed nothing", underlying: error.underlying)
        }
        var deleted: [String] = []
        for name in doomed {
            deleted.append(name)
            if !request.dryRun { try S3Errors.mapped { try client.delete(bucket: location.bucket, key: location.key(name)) } }
        }
        if !failures.isEmpty {
            throw SnapError(.damagedArchive, "some archives were not uploaded to \(location):\n" + failures.map { "  - \($0)" }.joined(separator: "\n")
                + "\n(the other \(transferred.count) file(s) were)")
        }
        return OffsiteSyncResult(
            source: request.source, target: request.target.text, target_kind: "s3", dry_run: request.dryRun,
            transferred: transferred, deleted: deleted, verified: verified, duration_seconds: Date().timeIntervalSince(started))
    }

    /// The source's non-hidden regular files within the filters, each sidecar (`.sha256`,
    /// `.sig`) right after its archive.
    static func localFiles(_ request: OffsiteSyncRequest) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: request.source)
        } catch {
            throw SnapError(.inputNotFound, "cannot read the source directory \(request.source): \(error.localizedDescription)", underlying: error)
        }
        let files = names.filter { name in
            guard !name.hasPrefix("."), selected(name, request) else { return false }
            var info = stat()
            return lstat((request.source as NSString).appendingPathComponent(name), &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        }
        return files.sorted { a, b in
            let (baseA, baseB) = (sidecarOwner(a) ?? a, sidecarOwner(b) ?? b)
            return baseA != baseB ? baseA < baseB : (sidecarOwner(a) == nil && sidecarOwner(b) != nil) || (sidecarOwner(a) != nil && sidecarOwner(b) != nil && a < b)
        }
    }

    /// The archive a sidecar belongs to (`X.tar.gz.sha256`, `X.tar.gz.sig` -> `X.tar.gz`).
    static func sidecarOwner(_ name: String) -> String? {
        for suffix in [".sha256", ".sig"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return nil
    }

    /// rsync's filter rules for a flat directory: an exclude (with its sidecars) wins, then, if
    /// there are includes, only what an include (with its sidecars) picks.
    static func selected(_ name: String, _ request: OffsiteSyncRequest) -> Bool {
        let base = sidecarOwner(name)
        func matches(_ pattern: String) -> Bool {
            fnmatch(pattern, name, 0) == 0 || (!pattern.hasSuffix("*") && base.map { fnmatch(pattern, $0, 0) == 0 } == true)
        }
        if request.excludes.contains(where: matches) { return false }
        return request.includes.isEmpty || request.includes.contains(where: matches)
    }

    /// The hash recorded in a sidecar, if it can be read.
    static func sidecarSum(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map { $0.lowercased() }
    }
}

/// S3 errors as `SnapError`s with the store's message, so every caller reports them alike.
enum S3Errors {
    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as S3Error {
            throw SnapError(SnapError.classify(error), error.message, underlying: error)
        }
    }
}

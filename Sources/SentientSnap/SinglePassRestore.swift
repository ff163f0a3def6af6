import ArchiveWriter
import Foundation
import PGDump
import PGWire
import SSHSig

// The restore's one pass (issue 19): the archive is read once, and that read feeds every check
// `verify` makes, the config extraction and the staging load together. The staging database is
// not the live room, so loading it before the archive is proven whole changes nothing; the swap
// waits until every check has passed, and any failure drops staging as before. Before the plan
// only the archive's head (manifest.json, its first entry) is read, and with --trusted-keys the
// signature is checked first, over a separate hash pass of the file: no SQL from an archive that
// is not trusted runs anywhere, not even into a staging database.

/// What one read of the archive feeds besides `ArchiveInspector`'s own checks.
protocol ArchiveConsumer: AnyObject {
    /// Entries under `config/` (paths relative to it; "" is `config/`), each once the inspector
    /// has checked its name, kind and declared size.
    func configDirectory(_ relative: String, metadata: TarEntryMetadata) throws
    func configLink(_ relative: String, target: String) throws
    func configFile(_ relative: String, metadata: TarEntryMetadata, content: (UnsafeMutableRawBufferPointer) throws -> Int) throws
    /// Loads `db/database.dump` from `source`; returns the rows per table loaded and the dump's
    /// version, or nil to have the inspector walk the dump itself.
    func loadDump(_ source: @escaping CustomArchiveDecoder.Source) throws -> (rows: [String: Int64], version: String?)?
}

/// What the inspector is handed besides the path, for a restore's one pass.
struct InspectionFeed {
    var consumer: ArchiveConsumer?
    /// The file's digests, when a signature check before the pass has computed them.
    var digests: MessageDigests?
    /// The manifest the plan was made from: the one read now must be the same.
    var manifest: Manifest?
}

extension ArchiveInspector {
    /// The archive read now is not the one the plan was made from (replaced meanwhile).
    static func changedSincePlan(_ path: String, manifest: Manifest, expected: Manifest) -> SnapError {
        let now = Set((manifest.files ?? []).map { "\($0.path) \($0.size) \($0.sha256)" })
        let then = Set((expected.files ?? []).map { "\($0.path) \($0.size) \($0.sha256)" })
        let paths = Set(now.symmetricDifference(then).map { String($0.split(separator: " ").dropLast(2).joined(separator: " ")) }).sorted()
        return SnapError(.damagedArchive, "\(path) changed after its plan was made: its manifest.json differs"
            + (paths.isEmpty ? "" : " (\(paths.joined(separator: ", ")))") + " — did the file change during the restore? Refusing the archive; nothing was changed")
    }
}

/// The consumer of a restore's one pass: config entries into the temp dir, the dump into staging.
final class RestoreStream: ArchiveConsumer {
    private let archive: String
    private let config: ConfigSwap?
    private let target: ConnectionSettings?
    private let options: RestoreOptions
    private let progress: (@Sendable (RestoreProgress) -> Void)?
    private(set) var stats = RestoreStats()

    init(archive: String, config: ConfigSwap?, target: ConnectionSettings?, options: RestoreOptions, progress: (@Sendable (RestoreProgress) -> Void)?) {
        self.archive = archive
        self.config = config
        self.target = target
        self.options = options
        self.progress = progress
    }

    func configDirectory(_ relative: String, metadata: TarEntryMetadata) throws {
        guard let config, let extractor = config.extractor else { return }
        try config.extracting(archive) { try extractor.directory(relative, mode: metadata.mode, mtime: metadata.mtime) }
    }

    func configLink(_ relative: String, target: String) throws {
        guard let config, let extractor = config.extractor else { return }
        try config.extracting(archive) { try extractor.symlink(relative, target: target) }
    }

    func configFile(_ relative: String, metadata: TarEntryMetadata, content: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        guard let config, let extractor = config.extractor else { return }
        try config.extracting(archive) { _ = try extractor.file(relative, mode: metadata.mode, mtime: metadata.mtime, source: content) }
    }

    func loadDump(_ source: @escaping CustomArchiveDecoder.Source) throws -> (rows: [String: Int64], version: String?)? {
        guard let target else { return nil }
        let decoder = CustomArchiveDecoder(source: source)
        stats = try RestoreEngine(target: target, options: options).restore(from: decoder, progress: progress)
        return (stats.rows, decoder.header.map { "\($0.version)" })
    }
}

/// Step 1 of a restore: what the plan is made from.
struct ArchiveOpening {
    /// The whole archive's inspection (verified first), or, for the one pass, one made from the
    /// head's manifest: what the plan needs, nothing checked yet but the signature.
    var inspection: ArchiveInspection
    var onePass: Bool
    /// The signature policy and digests the one pass uses (the signature is checked already
    /// when --trusted-keys required it).
    var policy = SignaturePolicy.checkIfPresent
    var digests: MessageDigests?
    /// A `.sig` lies beside the archive, to be checked in the pass (no --trusted-keys).
    var signatureInPass = false
}

extension RestoreJob {
    /// Reads the whole archive first (`--verify-first`, a dry run, `--in-place`, `--no-db`, and
    /// archives whose head holds no manifest of ours), or only its head for the one pass.
    func openArchive() throws -> ArchiveOpening {
        let archive = request.archive
        let trusted = try request.trustedKeys.map { try TrustedKeys.load($0) }
        var digests: MessageDigests?
        if !request.verifyFirst && !request.dryRun && !request.inPlace && request.restoreDatabase {
            guard FileManager.default.fileExists(atPath: archive) else {
                throw SnapError(.inputNotFound, "archive \(archive) not found")
            }
            var opening = ArchiveOpening(inspection: ArchiveInspection(path: archive, topDirectory: "", isLegacy: false, database: .none), onePass: true)
            if let trusted, let pending = try ArchiveSignature.prepare(archive: archive, policy: .require(trusted)) {
                events(.step("checking the signature of \(archive)"))
                let computed = try ArchiveSignature.digests(ofFile: archive, sha512: true)
                switch pending.verify(computed) {
                case .success(let report): opening.inspection.signature = report
                case .failure(let error):
                    throw SnapError(.damagedArchive, "\(archive) failed verification:\n  - \(error.message)\nNothing was changed.", underlying: error)
                }
                digests = computed
                opening.policy = .ignore
                opening.digests = computed
            } else {
                opening.signatureInPass = try ArchiveSignature.prepare(archive: archive, policy: .checkIfPresent) != nil
            }
            if let (top, manifest) = try Self.head(archive, keys: request.keys),
               manifest.format_version != nil, let files = manifest.files,
               files.contains(where: { $0.path == ArchiveLayout.databaseDump }) {
                events(.step("reading the head of \(archive) (the rest is verified as it is restored, before the swap)"))
                opening.inspection.topDirectory = top
                opening.inspection.manifest = manifest
                opening.inspection.database = .customDump
                opening.inspection.configFiles = files.filter { $0.path.hasPrefix(ArchiveLayout.configPrefix) }.count
                opening.inspection.keys = request.keys
                return opening
            }
        }
        return ArchiveOpening(inspection: try verifyWhole(trusted: trusted, digests: digests), onePass: false)
    }

    /// Today's step 1: the whole archive read and checked before anything else.
    func verifyWhole(trusted: TrustedKeys?, digests: MessageDigests? = nil) throws -> ArchiveInspection {
        events(.step("verifying \(request.archive)"))
        events(.phase(.verify(archiveBytes: Self.fileSize(request.archive))))
        let signatures = trusted.map { SignaturePolicy.require($0) } ?? .checkIfPresent
        return try ArchiveInspector.inspect(request.archive, signatures: signatures, keys: request.keys, feed: InspectionFeed(digests: digests)) {
            [events] in events(.verifying(bytesRead: $0))
        }
    }

    /// The manifest at the head of an archive of ours (its first entry) and the top directory;
    /// nil when the head holds none.
    static func head(_ path: String, keys: ArchiveKeys) throws -> (String, Manifest)? {
        do {
            let reader = try ArchiveFile.reader(path, keys: keys).reader
            while let entry = try reader.next() {
                let parts = entry.metadata.name.split(separator: "/").map(String.init)
                if parts.count == 2, parts[1] == ArchiveLayout.manifest, case .file = entry.metadata.kind {
                    do {
                        return (parts[0], try Manifest.decode(try reader.readAll(limit: 32 << 20)))
                    } catch let error as SnapError {
                        throw SnapError(error.code, "\(path): \(error.message)", underlying: error)
                    }
                }
                if entry.size > BackupCatalog.headScanLimit { return nil }
            }
            return nil
        } catch let error as ArchiveError {
            throw SnapError(.damagedArchive, "\(path) is damaged: \(error.message)", underlying: error)
        }
    }

    /// The one pass, into `target` (the staging database): the whole archive read and checked
    /// as `verify` checks it while it feeds the config's temp dir and the load; then the
    /// extracted config checked and the MQTT state decoded. Throws on any failure (the caller
    /// drops staging; the temp dir is discarded).
    func readAndLoad(
        _ opening: ArchiveOpening, target: ConnectionSettings, config: ConfigSwap?
    ) throws -> (inspection: ArchiveInspection, stats: RestoreStats, retained: RetainedSnapshot?) {
        let stream = RestoreStream(
            archive: request.archive, config: config, target: target, options: request.engineOptions
        ) { [events] progress in events(.progress(progress)) }
        var inspection = try ArchiveInspector.inspect(
            request.archive, signatures: opening.policy, keys: request.keys,
            feed: InspectionFeed(consumer: stream, digests: opening.digests, manifest: opening.inspection.manifest))
        if inspection.signature == nil { inspection.signature = opening.inspection.signature }
        try config?.complete(inspection: inspection, archive: request.archive)
        let retained = try readRetained(inspection)
        return (inspection, stream.stats, retained)
    }
}

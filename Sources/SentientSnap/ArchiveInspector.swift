import ArchiveWriter
import Crypto
import Foundation
import PGDump
import SSHSig

/// What reading a whole archive found (`verify`, and step 1 of every restore).
public struct ArchiveInspection: Sendable {
    public enum DatabaseContent: String, Sendable, Codable {
        /// `db/database.dump`, custom format (ours, or stock pg_dump's from the old scripts).
        case customDump = "custom-dump"
        /// `db/database.sql`, the old script's plain-SQL fallback.
        case plainSQL = "plain-sql"
        /// No database in the archive (old script: `db/NO_DATABASE.txt`; or config only).
        case none
    }

    public var path: String
    /// `sentient-<room>-<ts>`: every entry lives below it.
    public var topDirectory: String
    public var manifest: Manifest?
    /// Made by the old backup-room.sh: no per-file checksums or row counts to compare.
    public var isLegacy: Bool
    public var database: DatabaseContent
    /// "1.14" etc. for custom dumps.
    public var dumpVersion: String?
    /// Rows per table ("schema.table") counted in the dump's data blocks.
    public var tableRows: [String: Int64] = [:]
    /// Large objects counted in the dump's BLOBS block.
    public var largeObjects = 0
    public var configFiles = 0
    public var hasMQTT = false
    /// The content of `mqtt/retained.json` (up to 256 MiB), kept so a restore need not read the
    /// whole archive again to reach it (it is the last entry).
    public var retainedJSON: [UInt8]?
    /// SHA-256 of the archive file itself.
    public var sha256 = ""
    /// "ok", "missing" or "mismatch".
    public var sidecar = "missing"
    /// `<archive>.sig`, checked (nil: none, or not looked at).
    public var signature: SignatureReport?
    /// Things worth saying that are not damage (e.g. "legacy archive: no checksums").
    public var notes: [String] = []
    /// What `config/` holds, as read here: what a restore's extracted tree must equal.
    public var configTree = ConfigTree()
    /// The identities that opened it (an encrypted archive): the restore's later reads use them.
    public var keys = ArchiveKeys.none
}

/// The entries under `config/`, paths relative to it ("" is `config/` itself).
public struct ConfigTree: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var size: Int64
        public var sha256: String
    }

    public var files: [String: File] = [:]
    public var links: [String: String] = [:]
    /// Directories that have their own entry.
    public var directories: Set<String> = []

    /// Every path an entry names, and every directory above one.
    public var allPaths: Set<String> {
        var paths = Set(files.keys).union(links.keys).union(directories)
        for path in paths {
            var parts = path.split(separator: "/")
            while !parts.isEmpty {
                parts.removeLast()
                paths.insert(parts.joined(separator: "/"))
            }
        }
        return paths
    }
}

/// Reads an archive end to end and checks everything it can: gzip CRCs and sizes, tar
/// checksums, safe entry names and links, the manifest's SHA-256s and sizes, the dump's
/// structure and row counts, the `.sha256` sidecar and, as `signatures` says, the `.sig`.
public enum ArchiveInspector {
    /// - Throws: `SnapError(.inputNotFound)` for a missing file; `SnapError(.damagedArchive)`
    ///   naming every problem found. A required signature that is missing or not by a trusted
    ///   key is refused before the archive is read.
    /// - Parameter progress: told the compressed bytes read so far, as the check goes.
    public static func inspect(_ path: String, signatures: SignaturePolicy = .ignore, keys: ArchiveKeys = .none,
        progress: ((Int64) -> Void)? = nil) throws -> ArchiveInspection {
        try inspect(path, signatures: signatures, keys: keys, feed: InspectionFeed(), progress: progress)
    }

    /// As above; `feed` hands the config entries and the dump to a restore's one pass (see
    /// SinglePassRestore.swift). With a consumer, an entry whose size or SHA-256 differs from
    /// the manifest is refused as soon as it has been read, and a load that fails on a damaged
    /// dump is reported as the damage.
    static func inspect(_ path: String, signatures: SignaturePolicy, keys: ArchiveKeys, feed: InspectionFeed,
        progress: ((Int64) -> Void)? = nil) throws -> ArchiveInspection {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SnapError(.inputNotFound, "archive \(path) not found")
        }
        let pendingSignature = try ArchiveSignature.prepare(archive: path, policy: signatures)
        var failures: [String] = []
        var inspection = ArchiveInspection(path: path, topDirectory: "", isLegacy: false, database: .none)
        inspection.keys = keys
        // The sidecar check hashes the file itself: on another core while the content is inflated
        // and checked here (page cache; it never waits for this thread unless it is faster).
        let fileDigest = FileDigest(path, sha512: pendingSignature != nil, known: feed.digests)
        let consumer = feed.consumer
        var recorded: [String: Manifest.FileRecord] = [:]
        /// Rows per table as the one pass loaded them (the server's count), instead of counted.
        var loadedRows = false
        var hashes: [String: (size: Int64, sha256: String)] = [:]
        var seenTop: String?
        var configBytes: Int64 = 0
        /// Every entry by its path below the top directory, for the checks that need them all.
        var kinds: [String: SafeExtractor.Kind] = [:]
        var loadFailure: Error?
        do {
            let reader = try ArchiveFile.reader(path, keys: keys).reader
            while let entry = try reader.next() {
                let name = entry.metadata.name
                try ArchivePath.checkRelative(name)
                let components = try SafeExtractor.components(name)
                guard let top = components.first else { continue }
                if let seenTop, seenTop != top {
                    throw SnapError(.damagedArchive, "\(path): entry \(name) lies outside the archive's top directory \(seenTop)/")
                }
                seenTop = top
                let relative = components.dropFirst().joined(separator: "/")
                let kind: SafeExtractor.Kind
                switch entry.metadata.kind {
                case .directory: kind = .directory
                case .symlink(let target): kind = .symlink(target: target)
                default: kind = .file
                }
                if let earlier = kinds[relative], earlier != .directory || kind != .directory {
                    throw SnapError(.damagedArchive, "\(path): entry \(name) appears twice; refusing the archive")
                }
                kinds[relative] = kind
                let configRelative = relative == ArchiveLayout.configDirectory ? "" : relative.hasPrefix(ArchiveLayout.configPrefix) ? String(relative.dropFirst(7)) : nil
                switch entry.metadata.kind {
                case .directory:
                    if let configRelative {
                        inspection.configTree.directories.insert(configRelative)
                        try consumer?.configDirectory(configRelative, metadata: entry.metadata)
                    }
                    continue
                case .symlink(let target):
                    try checkLink(name: relative, target: target, archive: path)
                    if let configRelative {
                        inspection.configTree.links[configRelative] = target
                        try consumer?.configLink(configRelative, target: target)
                    }
                    continue
                case .hardlink(let target):
                    throw SnapError(.damagedArchive, "\(path): entry \(name) is a hard link (to \(target)); archives with hard links are refused")
                case .other(let flag):
                    throw SnapError(.damagedArchive, "\(path): entry \(name) is a special file (type '\(Character(UnicodeScalar(flag)))'); device nodes and FIFOs are refused")
                case .file:
                    break
                }
                if relative.hasPrefix(ArchiveLayout.configPrefix) {
                    // Refused on the declared size, before a byte is inflated (gzip bombs).
                    try ConfigLimits.add(name: relative, size: entry.size, to: &configBytes, archive: path)
                }
                // Hashed on a helper thread: this one is busy inflating and checking.
                let hasher = PipelinedSHA256()
                var size: Int64 = 0
                let source: CustomArchiveDecoder.Source = { buffer in
                    let n = try reader.read(into: buffer)
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    size += Int64(n)
                    progress?(reader.compressedBytesRead)
                    return n
                }
                switch relative {
                case ArchiveLayout.manifest:
                    var bytes: [UInt8] = []
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
                    defer { buffer.deallocate() }
                    while true {
                        let n = try source(buffer)
                        if n == 0 { break }
                        bytes.append(contentsOf: buffer[0..<n])
                        if bytes.count > 32 << 20 { throw SnapError(.damagedArchive, "\(path): manifest.json is larger than 32 MiB") }
                    }
                    do {
                        inspection.manifest = try Manifest.decode(bytes)
                    } catch let error as SnapError {
                        throw SnapError(error.code, "\(path): \(error.message)", underlying: error)
                    }
                    if let expected = feed.manifest, let manifest = inspection.manifest, manifest != expected {
                        throw changedSincePlan(path, manifest: manifest, expected: expected)
                    }
                    recorded = Dictionary((inspection.manifest?.files ?? []).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
                case ArchiveLayout.databaseDump:
                    inspection.database = .customDump
                    var loaded: (rows: [String: Int64], version: String?)?
                    do {
                        loaded = try consumer?.loadDump(source)
                    } catch let error where !(error is ArchiveError) {
                        // A damaged dump can stop the load as a server or dump error first: the
                        // rest of the entry and its SHA-256 below say whether the archive is
                        // damaged, which is then what is reported.
                        loadFailure = error
                    }
                    if let loaded {
                        inspection.dumpVersion = loaded.version
                        inspection.tableRows = loaded.rows
                        loadedRows = true
                    } else if loadFailure == nil {
                        let decoder = CustomArchiveDecoder(source: source)
                        do {
                            let (version, rows, largeObjects) = try checkDump(decoder)
                            inspection.dumpVersion = version
                            inspection.tableRows = rows
                            inspection.largeObjects = largeObjects
                        } catch let error as DumpError {
                            failures.append("db/database.dump: \(error.message)")
                        }
                    }
                    try drain(source)
                case ArchiveLayout.legacySQLDump:
                    inspection.database = .plainSQL
                    try drain(source)
                case ArchiveLayout.mqttRetained:
                    inspection.hasMQTT = true
                    inspection.retainedJSON = try collect(source, limit: 256 << 20)
                default:
                    if relative.hasPrefix(ArchiveLayout.configPrefix) { inspection.configFiles += 1 }
                    if let configRelative, let consumer {
                        try consumer.configFile(configRelative, metadata: entry.metadata, content: source)
                    }
                    try drain(source)
                }
                let digest = BackupJob.hex(hasher.finalize())
                hashes[relative] = (size, digest)
                if let configRelative { inspection.configTree.files[configRelative] = .init(size: size, sha256: digest) }
                // The one pass: refused at once, before anything further is loaded or extracted.
                if consumer != nil, let record = recorded[relative], record.size != size || record.sha256 != digest {
                    let what = record.size != size ? "has \(size) bytes, manifest.json says \(record.size)" : "does not match its SHA-256 in manifest.json"
                    throw SnapError(.damagedArchive, "\(path) failed verification:\n  - \(relative) \(what)"
                        + (loadFailure.map { " (the staging load stopped on it: \($0))" } ?? ""))
                }
                if let loadFailure { throw loadFailure }
            }
            try reader.finishVerification()
        } catch let error as ArchiveError {
            throw SnapError(.damagedArchive, "\(path) is damaged: \(error.message)", underlying: error)
        }
        guard let top = seenTop else { throw SnapError(.damagedArchive, "\(path) holds no entries") }
        inspection.topDirectory = top
        try checkNothingThroughLinks(kinds, archive: path)

        // The manifest's promises.
        if let manifest = inspection.manifest {
            inspection.isLegacy = manifest.format_version == nil
            for file in manifest.files ?? [] {
                guard let found = hashes[file.path] else {
                    failures.append("\(file.path) is listed in manifest.json but missing from the archive")
                    continue
                }
                if found.size != file.size { failures.append("\(file.path) has \(found.size) bytes, manifest.json says \(file.size)") }
                if found.sha256 != file.sha256 { failures.append("\(file.path) does not match its SHA-256 in manifest.json") }
            }
            if !inspection.isLegacy {
                failures += unlisted(kinds, manifest: manifest)
            }
            if let tables = manifest.database?.tables, inspection.database == .customDump {
                for table in tables {
                    let key = "\(table.schema).\(table.name)"
                    let counted = inspection.tableRows[key]
                    if counted != table.rows {
                        failures.append("table \(key) has \(counted.map(String.init) ?? "no") rows "
                            + (loadedRows ? "after the staging load" : "in db/database.dump") + ", manifest.json says \(table.rows)")
                    }
                }
            }
            if manifest.contents.database && inspection.database == .none && !inspection.isLegacy {
                failures.append("manifest.json says the archive holds the database, but db/database.dump is missing")
            }
        } else {
            inspection.isLegacy = true
            failures.append("manifest.json is missing")
        }
        if inspection.isLegacy {
            inspection.notes.append("made by the old backup scripts: no per-file checksums or row counts to compare")
        }

        // The sidecar, and the signature (over the same bytes, hashed in the same pass).
        let digests = try fileDigest.wait()
        inspection.sha256 = BackupJob.hex(digests.sha256)
        if let pendingSignature {
            switch pendingSignature.verify(digests) {
            case .success(let report): inspection.signature = report
            case .failure(let error): failures.append(error.message)
            }
        }
        if let text = try? String(contentsOfFile: path + ".sha256", encoding: .utf8) {
            let recorded = text.split(separator: " ").first.map(String.init) ?? ""
            if recorded == inspection.sha256 {
                inspection.sidecar = "ok"
            } else {
                inspection.sidecar = "mismatch"
                failures.append("\((path as NSString).lastPathComponent).sha256 does not match the archive (recorded \(recorded.prefix(16))..., actual \(inspection.sha256.prefix(16))...)")
            }
        }
        if !failures.isEmpty {
            throw SnapError(.damagedArchive, "\(path) failed verification:\n" + failures.map { "  - \($0)" }.joined(separator: "\n"))
        }
        return inspection
    }

    /// A link may point only inside the archive's config tree.
    static func checkLink(name: String, target: String, archive: String) throws {
        guard name.hasPrefix(ArchiveLayout.configPrefix), !target.hasPrefix("/") else {
            throw SnapError(.damagedArchive, "\(archive): link \(name) -> \(target) leaves the room's config tree; refusing the archive")
        }
        var stack = name.split(separator: "/").dropLast().map(String.init)
        for part in target.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                _ = stack.popLast()
                if stack.isEmpty {
                    throw SnapError(.damagedArchive, "\(archive): link \(name) -> \(target) leaves the room's config tree; refusing the archive")
                }
            } else {
                stack.append(String(part))
            }
        }
    }

    /// No entry may lie below a link (or a file), and no link's target may run through another
    /// link: a target is checked on paper, which holds only while every component it passes
    /// through is a real directory (`s -> .` then `s/s/l -> ../..` climbs out).
    static func checkNothingThroughLinks(_ kinds: [String: SafeExtractor.Kind], archive: String) throws {
        for (path, kind) in kinds {
            let parts = path.split(separator: "/").map(String.init)
            for end in stride(from: 1, to: parts.count, by: 1) {
                let parent = parts[0..<end].joined(separator: "/")
                switch kinds[parent] {
                case .symlink(let target)?:
                    throw SnapError(.damagedArchive, "\(archive): entry \(path) lies below the link \(parent) (-> \(target)); entries are never extracted through links, so the archive is refused (nothing was written)")
                case .file?:
                    throw SnapError(.damagedArchive, "\(archive): entry \(path) lies below the file \(parent); refusing the archive (nothing was written)")
                case .directory?, nil:
                    continue
                }
            }
            guard case .symlink(let target) = kind else { continue }
            var stack = Array(parts.dropLast())
            let steps = target.split(separator: "/").map(String.init).filter { $0 != "." }
            for (index, step) in steps.enumerated() {
                if step == ".." { _ = stack.popLast() } else { stack.append(step) }
                let through = stack.joined(separator: "/")
                if index < steps.count - 1, step != "..", case .symlink? = kinds[through] {
                    throw SnapError(.damagedArchive, "\(archive): link \(path) -> \(target) runs through the link \(through); links through links are refused (nothing was written)")
                }
            }
        }
    }

    /// For archives of ours: regular files the manifest does not list, and links it does not
    /// record (when it records links), are damage.
    static func unlisted(_ kinds: [String: SafeExtractor.Kind], manifest: Manifest) -> [String] {
        var failures: [String] = []
        let listed = Set((manifest.files ?? []).map(\.path))
        let recorded = manifest.links.map { Dictionary($0.map { ($0.path, $0.target) }, uniquingKeysWith: { a, _ in a }) }
        for (path, kind) in kinds.sorted(by: { $0.key < $1.key }) {
            switch kind {
            case .file where path != ArchiveLayout.manifest && !listed.contains(path):
                failures.append("\(path) is in the archive but not listed in manifest.json")
            case .symlink(let target):
                guard let recorded else { continue }
                if let expected = recorded[path] {
                    if expected != target { failures.append("link \(path) points to \(target), manifest.json records \(expected)") }
                } else {
                    failures.append("link \(path) -> \(target) is in the archive but not recorded in manifest.json")
                }
            default:
                continue
            }
        }
        for (path, _) in (recorded ?? [:]).sorted(by: { $0.key < $1.key }) {
            if case .symlink? = kinds[path] { continue }
            failures.append("link \(path) is recorded in manifest.json but missing from the archive")
        }
        return failures
    }

    /// Walks the dump: header, TOC, then every block; counts rows per table and large objects
    /// (each object's content is read through, decompressed, and must belong to a BLOB entry).
    static func checkDump(_ decoder: CustomArchiveDecoder) throws -> (String, [String: Int64], Int) {
        let header = try decoder.readHeader()
        let toc = try decoder.readTOC()
        var byId: [Int32: TOCEntry] = [:]
        for entry in toc { byId[entry.dumpId] = entry }
        let blobEntries = Set(toc.filter { $0.desc == "BLOB" }.map(\.tag))
        var rows: [String: Int64] = [:]
        var largeObjects = 0
        var seen = Set<Int32>()
        while let block = try decoder.nextBlock() {
            guard let entry = byId[block.dumpId], entry.hadDumper else {
                throw DumpError(.corrupt, "a data block belongs to no TOC entry (id \(block.dumpId))")
            }
            guard seen.insert(block.dumpId).inserted else {
                throw DumpError(.corrupt, "two data blocks for \(entry.desc) \(entry.tag)")
            }
            guard block.isBlobs == (entry.desc == "BLOBS") else {
                throw DumpError(.corrupt, "the data block of \(entry.desc) \(entry.tag) is of the wrong type")
            }
            if block.isBlobs {
                var oids = Set<UInt32>()
                while let oid = try decoder.nextLargeObject() {
                    guard oids.insert(oid).inserted else {
                        throw DumpError(.corrupt, "large object \(oid) appears twice in the dump's BLOBS block")
                    }
                    // Archives 1.16 list their objects in BLOB METADATA entries instead.
                    if header.version < .v1_16 && !blobEntries.contains(String(oid)) {
                        throw DumpError(.corrupt, "large object \(oid) in the dump's BLOBS block has no BLOB entry in the TOC")
                    }
                    try decoder.readTableData { _ in }
                }
                largeObjects += oids.count
                continue
            }
            var counter = RowCounter()
            try decoder.readTableData { counter.feed($0) }
            if entry.desc == "TABLE DATA" { rows["\(entry.namespace ?? "").\(entry.tag)"] = counter.rows }
        }
        let missing = toc.filter { $0.hadDumper && !seen.contains($0.dumpId) }
        if let first = missing.first {
            throw DumpError(.truncated, "no data block for \(first.desc) \(first.tag): the dump is incomplete")
        }
        return ("\(header.version)", rows, largeObjects)
    }

    /// Reads the rest of an entry; nil (the rest drained) if it exceeds `limit` bytes.
    static func collect(_ source: CustomArchiveDecoder.Source, limit: Int) throws -> [UInt8]? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { buffer.deallocate() }
        var bytes: [UInt8] = []
        while true {
            let n = try source(buffer)
            if n == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<n])
            if bytes.count > limit {
                try drain(source)
                return nil
            }
        }
    }

    static func drain(_ source: CustomArchiveDecoder.Source) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { buffer.deallocate() }
        while try source(buffer) > 0 {}
    }
}

/// Caps on what restore writes to the room's disk from `config/` (manifest.json is capped at
/// 32 MiB and mqtt/retained.json at 256 MiB where they are read).
public enum ConfigLimits {
    /// Largest single config file accepted: 1 GiB.
    public static let maxFileSize: Int64 = 1 << 30
    /// Largest config tree accepted: 4 GiB.
    public static let maxTotalSize: Int64 = 4 << 30

    /// Adds a file's declared size to the tree's total, refusing a file or a tree over the
    /// limits. The size is checked before it is added: a declared 2^63-1 bytes would overflow.
    static func add(name: String, size: Int64, to total: inout Int64, archive: String) throws {
        if size > maxFileSize {
            throw SnapError(.damagedArchive, "\(archive): \(name) declares \(size) bytes, over the \(maxFileSize >> 20) MiB limit for one config file; refusing the archive (nothing was written)")
        }
        total += size
        if total > maxTotalSize {
            throw SnapError(.damagedArchive, "\(archive): the config files declare more than \(maxTotalSize >> 20) MiB in all; refusing the archive (nothing was written)")
        }
    }
}

/// SHA-256 (and SHA-512, for a signature) of a whole file, computed on its own thread from the
/// moment it is created.
private final class FileDigest: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Locked<Result<MessageDigests, Error>>(.success(MessageDigests(sha256: [], sha512: nil)))

    init(_ path: String, sha512: Bool, known: MessageDigests? = nil) {
        if let known {
            result.withLock { $0 = .success(known) }
            done.signal()
            return
        }
        Thread.detachNewThread { [self] in
            let digest = Result { try ArchiveSignature.digests(ofFile: path, sha512: sha512) }
            result.withLock { $0 = digest }
            done.signal()
        }
    }

    func wait() throws -> MessageDigests {
        done.wait()
        done.signal()
        return try result.withLock { $0 }.get()
    }
}

import Age
import Foundation
import SSHSig

#if canImport(Glibc)
import Glibc
#endif

/// `sync-offsite --encrypt-to`: the encrypted copies that go offsite, kept in a hidden directory
/// of the source (`.sentient-offsite-age/`) so that rsync's size-and-mtime check skips them on the
/// next sync and nothing is encrypted twice. Local archives stay plain.
///
/// `.index.json` there records, per plain archive, the SHA-256 its sidecar gave (or size and
/// mtime without one) and the recipients: an archive is encrypted again only when it or the
/// recipients changed. Archives that are already `.tar.gz.age` are hard-linked (or copied) as they
/// are, with their `.sig`. With a signing key each copy gets `<copy>.sig` once: when it is made,
/// or when it has none or one by another key (a plain archive's own `.sig` is over the plain
/// bytes, so it never goes beside the copy).
enum OffsiteOutbox {
    static let directoryName = ".sentient-offsite-age"
    static let indexName = ".index.json"

    struct Index: Codable, Equatable {
        var recipients: [String] = []
        /// Plain archive name -> fingerprint of the plain archive that was encrypted.
        var sources: [String: String] = [:]
        /// The fingerprint of the key that signed the copies here (nil: none yet).
        var signer: String?
    }

    struct Prepared {
        var outbox: String
        /// Plain archives encrypted now (or that would be).
        var encrypted: [String] = []
        /// Copies signed now (or that would be).
        var signed: [String] = []
    }

    /// Brings the outbox in line with `source`: encrypts what is new or changed, links the
    /// archives that are encrypted already, removes copies of archives the source no longer has.
    /// In a dry run nothing is written.
    static func prepare(source: String, recipients: [AgeRecipient], signingKey: SSHPrivateKey? = nil, dryRun: Bool) throws -> Prepared {
        let outbox = (source as NSString).appendingPathComponent(directoryName)
        let indexPath = (outbox as NSString).appendingPathComponent(indexName)
        let wanted = recipients.map(\.description).sorted()
        var index = (try? JSONDecoder().decode(Index.self, from: Data(contentsOf: URL(fileURLWithPath: indexPath)))) ?? Index()
        if index.recipients != wanted { index = Index(recipients: wanted) }
        if !dryRun && !FileManager.default.fileExists(atPath: outbox) {
            guard mkdir(outbox, 0o700) == 0 else {
                throw SnapError(.outputNotCreatable, "cannot create \(outbox) for the encrypted offsite copies: \(String(cString: strerror(errno)))")
            }
        }
        var keep: Set<String> = [indexName]
        var result = Prepared(outbox: outbox)
        var sources: [String: String] = [:]
        let signer = signingKey?.publicKey.fingerprint
        /// Signs `copyPath` when a key is given and it has no signature by that key yet.
        func signIfNeeded(_ copyPath: String) throws {
            guard let signingKey, index.signer != signer || !FileManager.default.fileExists(atPath: copyPath + ArchiveSignature.suffix) else { return }
            result.signed.append((copyPath as NSString).lastPathComponent)
            if dryRun { return }
            _ = try ArchiveSignature.sign(copyPath, digests: try ArchiveSignature.digests(ofFile: copyPath, sha512: true), key: signingKey)
        }
        for file in try BackupDirectory.scan(source) {
            let name = file.name.fileName
            let copyPath = (outbox as NSString).appendingPathComponent(name + (file.name.isEncrypted ? "" : ArchiveFile.encryptedSuffix))
            if file.name.isEncrypted {
                keep.formUnion([name, name + ".sha256", name + ArchiveSignature.suffix])
                if !dryRun {
                    let replaced = try mirror(file.path, into: outbox, name: name)
                    if file.hasSidecar { _ = try mirror(file.path + ".sha256", into: outbox, name: name + ".sha256") }
                    if file.hasSignature {
                        _ = try mirror(file.path + ArchiveSignature.suffix, into: outbox, name: name + ArchiveSignature.suffix)
                        continue
                    }
                    // A signature of ours over bytes that were replaced would not hold.
                    if replaced { unlink(copyPath + ArchiveSignature.suffix) }
                } else if file.hasSignature {
                    continue
                }
                try signIfNeeded(copyPath)
                continue
            }
            let copy = name + ArchiveFile.encryptedSuffix
            keep.formUnion([copy, copy + ".sha256", copy + ArchiveSignature.suffix])
            let fingerprint = fingerprint(file)
            sources[name] = fingerprint
            if index.sources[name] == fingerprint, FileManager.default.fileExists(atPath: copyPath),
               FileManager.default.fileExists(atPath: copyPath + ".sha256") {
                try signIfNeeded(copyPath)
                continue
            }
            result.encrypted.append(name)
            if signingKey != nil { result.signed.append(copy) }
            if dryRun { continue }
            let partial = (outbox as NSString).appendingPathComponent(".\(copy).partial")
            unlink(partial)
            // The old copy's signature goes first: it never stands beside bytes it was not made over.
            unlink(copyPath + ArchiveSignature.suffix)
            PartialFiles.shared.register(partial)
            defer { PartialFiles.shared.unregister(partial) }
            try ArchiveFile.encrypt(file.path, to: partial, recipients: recipients)
            guard rename(partial, copyPath) == 0 else {
                unlink(partial)
                throw SnapError(.ioFailure, "cannot publish \(copyPath): \(String(cString: strerror(errno)))")
            }
            // One pass over the copy for its sidecar and its signature.
            let digests = try ArchiveSignature.digests(ofFile: copyPath, sha512: signingKey != nil)
            try BackupJob.writeSidecar(for: copyPath, digest: BackupJob.hex(digests.sha256))
            if let signingKey { _ = try ArchiveSignature.sign(copyPath, digests: digests, key: signingKey) }
            index.sources[name] = fingerprint
            try save(index, to: indexPath)  // after each one: an interrupted sync keeps what it did
        }
        guard !dryRun else { return result }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? [] where !keep.contains(entry) && (!entry.hasPrefix(".") || entry.hasSuffix(".partial")) {
            unlink((outbox as NSString).appendingPathComponent(entry))
        }
        index.sources = sources
        // Set only now: an interrupted run leaves the old signer, so the next one signs again.
        if let signer { index.signer = signer }
        try save(index, to: indexPath)
        BackupJob.fsyncDirectory(outbox)
        return result
    }

    /// The plain archive as it was encrypted: its sidecar's SHA-256, else its size and mtime.
    private static func fingerprint(_ file: BackupFile) -> String {
        if file.hasSidecar, let text = try? String(contentsOfFile: file.path + ".sha256", encoding: .utf8),
           let digest = text.split(separator: " ").first {
            return "sha256:\(digest)"
        }
        var info = stat()
        _ = stat(file.path, &info)
        return "size:\(info.st_size) mtime:\(info.st_mtim.tv_sec)"
    }

    /// `path` as `outbox/name`: a hard link (same file system), else a copy; kept if it is that file already.
    /// - Returns: whether `outbox/name` was (re)made.
    private static func mirror(_ path: String, into outbox: String, name: String) throws -> Bool {
        let target = (outbox as NSString).appendingPathComponent(name)
        var a = stat(), b = stat()
        if stat(path, &a) == 0, stat(target, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino { return false }
        unlink(target)
        if link(path, target) == 0 { return true }
        do {
            try FileManager.default.copyItem(atPath: path, toPath: target)
        } catch {
            throw SnapError(.ioFailure, "cannot copy \(path) into \(outbox): \(error.localizedDescription)", underlying: error)
        }
        return true
    }

    private static func save(_ index: Index, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            try encoder.encode(index).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SnapError(.ioFailure, "cannot write \(path): \(error.localizedDescription)", underlying: error)
        }
    }
}

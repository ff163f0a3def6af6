import Foundation
import SSHSig

// Signed archives (issue 17): `<archive>.sig` is an OpenSSH signature (SSHSIG, namespace
// `sentient-snap`) over the archive's bytes, made and checked by the SSHSig module, so that
// `ssh-keygen -Y verify` checks it too and a venue can refuse an archive it did not make.

/// A key file named by a flag or a setting, with where the name came from (for messages).
public struct KeyFile: Sendable, Equatable {
    public var path: String
    /// "--sign-key", "SENTIENT_SIGN_KEY in /etc/sentient/pharaohs.env", ...
    public var origin: String

    public init(path: String, origin: String) {
        self.path = path
        self.origin = origin
    }

    /// The flag's value, else the setting's (an empty value counts as unset).
    public static func resolve(flag: String?, flagName: String, setting: String?, key: String, settings: RoomSettings?) -> KeyFile? {
        if let flag, !flag.isEmpty { return KeyFile(path: flag, origin: flagName) }
        guard let setting, !setting.isEmpty else { return nil }
        return KeyFile(path: setting, origin: settings?.origins[key] ?? key)
    }
}

/// An allowed_signers file, read: the keys a verify or restore trusts.
public struct TrustedKeys: Sendable {
    public var file: KeyFile
    public var signers: AllowedSigners

    /// Reads and parses the file.
    /// - Throws: `SnapError` `.inputNotFound` (missing, unreadable), `.usage` (malformed).
    public static func load(_ file: KeyFile) throws -> TrustedKeys {
        let bytes = try ArchiveSignature.readKeyFile(file, what: "trusted keys file", limit: 4 << 20)
        do {
            return TrustedKeys(file: file, signers: try AllowedSigners(fileContent: bytes))
        } catch let error as SignatureError {
            throw SnapError(.usage, "the trusted keys file \(file.path) (from \(file.origin)) is not in allowed_signers format: \(error.message); fix it (one 'principal [namespaces=\"sentient-snap\"] ssh-ed25519 AAAA...' per line); nothing was changed", underlying: error)
        }
    }
}

/// What checking an archive's signature found (`verify --json`, `restore --json`).
public struct SignatureReport: Codable, Sendable, Equatable {
    /// The signing key's fingerprint, `SHA256:...` as `ssh-keygen -l` prints it.
    public var key: String
    /// "sha512" or "sha256".
    public var hash: String
    /// Checked against a trusted keys file (`--trusted-keys`); false: only checked to hold.
    public var trusted: Bool
    /// The trusted keys file and the line that trusts the key, with its principals.
    public var trusted_keys: String?
    public var line: Int?
    public var principals: [String]?

    /// One line for people: "valid, by SHA256:... (trusted: backup@venue, line 1 of FILE)".
    public var summary: String {
        if trusted {
            return "valid, by \(key), trusted as \((principals ?? []).joined(separator: ",")) (line \(line ?? 0) of \(trusted_keys ?? "?"))"
        }
        return "valid, by \(key) (not checked against trusted keys: no --trusted-keys)"
    }
}

/// How `ArchiveInspector` treats `<archive>.sig`.
public enum SignaturePolicy: Sendable {
    /// Not looked at (status, export).
    case ignore
    /// Checked when present (a present but invalid one is damage); a missing one is fine.
    case checkIfPresent
    /// Required, valid, and by a key the trusted keys file lists for namespace sentient-snap.
    case require(TrustedKeys)
}

public enum ArchiveSignature {
    /// The SSHSIG namespace of archive signatures: `ssh-keygen -Y verify -n sentient-snap`.
    public static let namespace = "sentient-snap"
    public static let suffix = ".sig"
    /// A signature file is a few hundred bytes; anything far larger is not one.
    static let maxSignatureSize = 64 << 10

    /// Loads the signing key (checked before a backup connects anywhere).
    /// - Throws: `SnapError` `.inputNotFound` (missing, unreadable), `.usage` (not an
    ///   unencrypted OpenSSH Ed25519 private key).
    public static func loadSigningKey(_ file: KeyFile) throws -> SSHPrivateKey {
        let bytes = try readKeyFile(file, what: "signing key", limit: 1 << 20)
        do {
            return try SSHPrivateKey(fileContent: bytes)
        } catch let error as SignatureError {
            throw SnapError(.usage, "the signing key \(file.path) (from \(file.origin)) cannot sign: \(error.message); nothing was written", underlying: error)
        }
    }

    /// A warning when the signing key can be read by users other than its owner (ssh-keygen
    /// itself refuses such a key: "UNPROTECTED PRIVATE KEY FILE").
    public static func permissionWarning(_ file: KeyFile) -> String? {
        var info = stat()
        guard stat(file.path, &info) == 0, info.st_mode & 0o077 != 0 else { return nil }
        return "the signing key \(file.path) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))): run chmod 0600 \(file.path); anyone who can read it can sign archives your restores will trust"
    }

    /// A key file's bytes (a regular file, at most `limit` bytes).
    static func readKeyFile(_ file: KeyFile, what: String, limit: Int) throws -> [UInt8] {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SnapError(.inputNotFound, "cannot read the \(what) \(file.path) (from \(file.origin)): \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw SnapError(.usage, "the \(what) \(file.path) (from \(file.origin)) is not a regular file")
        }
        guard Int(info.st_size) <= limit else {
            throw SnapError(.usage, "the \(what) \(file.path) (from \(file.origin)) is \(info.st_size) bytes, too large to be one")
        }
        return try readAll(fd, limit: limit, path: file.path)
    }

    static func readAll(_ fd: Int32, limit: Int, path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw SnapError(.inputNotFound, "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw SnapError(.usage, "\(path) is larger than \(limit) bytes") }
        }
    }

    /// SHA-256 (and SHA-512 when `sha512`) of a whole file, in one pass of 1 MiB reads.
    public static func digests(ofFile path: String, sha512: Bool) throws -> MessageDigests {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SnapError(.inputNotFound, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = MessageHasher(sha512: sha512)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = read(fd, chunk.baseAddress, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw SnapError(.ioFailure, "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        return hasher.finalize()
    }

    /// Signs the archive whose digests are given and writes `<archive>.sig`.
    static func sign(_ archive: String, digests: MessageDigests, key: SSHPrivateKey) throws -> SSHSignature {
        let signature: SSHSignature
        do {
            signature = try SSHSignature.sign(digests, namespace: namespace, key: key)
        } catch {
            throw SnapError(wrapping: error, "cannot sign \(archive): \(error); the archive is complete but unsigned")
        }
        try writeSignature(signature, for: archive)
        return signature
    }

    /// Writes `<archive>.sig` (mode 0600) through a hidden `.partial` file, fsync and rename,
    /// as the archive itself is written. A link planted in its place is never followed.
    static func writeSignature(_ signature: SSHSignature, for archive: String) throws {
        let directory = (archive as NSString).deletingLastPathComponent
        let name = (archive as NSString).lastPathComponent + suffix
        let final = (directory as NSString).appendingPathComponent(name)
        let temp = (directory as NSString).appendingPathComponent(".\(name).partial")
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SnapError(.ioFailure, "cannot write \(final): \(String(cString: strerror(errno))); the archive is complete but unsigned") }
        PartialFiles.shared.register(temp)
        defer { PartialFiles.shared.unregister(temp) }
        let bytes = Array(signature.armored.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temp, final) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw SnapError(.ioFailure, "cannot write \(final): \(reason); the archive is complete but unsigned")
        }
    }

    /// A signature read and parsed before the archive is, checked against the trusted keys
    /// when they are required; `verify` finishes the check once the archive's digests are known.
    struct Pending {
        var signature: SSHSignature
        var trusted: (TrustedKeys, AllowedSigners.Entry)?
        var archive: String

        /// - Returns: the report; nil and a failure line when the signature does not hold.
        func verify(_ digests: MessageDigests) -> Result<SignatureReport, SnapError> {
            let name = (archive as NSString).lastPathComponent + ArchiveSignature.suffix
            do {
                try signature.verify(digests, namespace: ArchiveSignature.namespace)
            } catch let error as SignatureError {
                return .failure(SnapError(.damagedArchive, "\(name) does not hold: \(error.message)", underlying: error))
            } catch {
                return .failure(SnapError(wrapping: error, "\(name): \(error)"))
            }
            return .success(SignatureReport(
                key: signature.publicKey.fingerprint, hash: signature.hashAlgorithm, trusted: trusted != nil,
                trusted_keys: trusted?.0.file.path, line: trusted?.1.line, principals: trusted?.1.principals))
        }
    }

    /// Reads and parses `<archive>.sig` and, under `.require`, checks that a trusted key made
    /// it, all before the archive is read: an archive without a trusted signature costs nothing.
    /// - Returns: nil when there is nothing to check (`.ignore`, or no `.sig` under `.checkIfPresent`).
    /// - Throws: `SnapError(.damagedArchive)` for a missing (when required), malformed or
    ///   untrusted signature; `.inputNotFound` for an unreadable one.
    static func prepare(archive: String, policy: SignaturePolicy) throws -> Pending? {
        if case .ignore = policy { return nil }
        let path = archive + suffix
        let name = (path as NSString).lastPathComponent
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ELOOP {
                throw SnapError(.damagedArchive, "\(path) is a symbolic link; a signature is never read through a link, refusing the archive (nothing was changed)")
            }
            if errno == ENOENT {
                guard case .require(let trusted) = policy else { return nil }
                throw SnapError(.damagedArchive, "\(archive) is not signed (no \(name) beside it), and the trusted keys file \(trusted.file.path) (from \(trusted.file.origin)) requires a signature by a trusted key; refusing the archive (nothing was changed). Backups are signed with backup --sign-key (or SENTIENT_SIGN_KEY)")
            }
            throw SnapError(.inputNotFound, "cannot read the archive's signature \(path): \(reason); nothing was changed")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw SnapError(.damagedArchive, "\(path) is not a regular file; refusing the archive (nothing was changed)")
        }
        let bytes: [UInt8]
        do {
            bytes = try readAll(fd, limit: maxSignatureSize, path: path)
        } catch let error as SnapError where error.code == .usage {
            throw SnapError(.damagedArchive, "\(name) is larger than \(maxSignatureSize >> 10) KiB: not an SSH signature; refusing the archive (nothing was changed)")
        }
        let signature: SSHSignature
        do {
            signature = try SSHSignature(armored: bytes)
            guard signature.namespace == namespace else {
                throw SignatureError(.wrongNamespace, "the signature is for namespace '\(signature.namespace)', not '\(namespace)': it was not made for sentient-snap archives")
            }
        } catch let error as SignatureError {
            throw SnapError(.damagedArchive, "\(name) is not a valid signature of a sentient-snap archive: \(error.message); refusing the archive (nothing was changed)", underlying: error)
        }
        var pending = Pending(signature: signature, trusted: nil, archive: archive)
        if case .require(let trusted) = policy {
            do {
                let entry = try trusted.signers.trusting(signature.publicKey, namespace: namespace)
                pending.trusted = (trusted, entry)
            } catch let error as SignatureError {
                throw SnapError(.damagedArchive, "\(name): \(error.message) in \(trusted.file.path) (from \(trusted.file.origin)); refusing the archive (nothing was changed)", underlying: error)
            }
        }
        return pending
    }
}

import Age
import ArchiveWriter
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The age identities that open encrypted archives (`--identity FILE`, `SENTIENT_IDENTITY`).
public struct ArchiveKeys: Sendable {
    public var identities: [AgeIdentity]
    /// The identity file they came from (named in messages), nil when none was given.
    public var identityFile: String?

    public init(identities: [AgeIdentity] = [], identityFile: String? = nil) {
        self.identities = identities
        self.identityFile = identityFile
    }

    public static let none = ArchiveKeys()

    /// Reads an age identity file (`age-keygen -o`). Messages never show a key.
    /// - Throws: `SnapError(.inputNotFound)` when missing, `.permission` when unreadable,
    ///   `.usage` when it holds no X25519 identity.
    public static func load(identityFile path: String) throws -> ArchiveKeys {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SnapError(.inputNotFound, "the identity file \(path) does not exist")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SnapError(.permission, "cannot read the identity file \(path) (permissions? it should be mode 0600, owned by the backup user)")
        }
        do {
            return ArchiveKeys(identities: try AgeKeyFile.identities(String(decoding: data, as: UTF8.self), name: path), identityFile: path)
        } catch let error as AgeError {
            throw SnapError(.usage, "\(error)", underlying: error)
        }
    }
}

/// The age recipients a backup or an offsite copy is encrypted to.
public enum ArchiveRecipients {
    /// `--encrypt-to` values (and `SENTIENT_ENCRYPT_TO`, split on commas and spaces) plus the
    /// recipients of `--recipients-file`.
    /// - Throws: `SnapError(.usage)` naming the bad recipient; `.inputNotFound` for a missing file.
    public static func resolve(_ recipients: [String], file: String?) throws -> [AgeRecipient] {
        var found: [AgeRecipient] = []
        for text in recipients.flatMap({ $0.split(whereSeparator: { $0 == "," || $0 == " " }) }) {
            do {
                found.append(try AgeRecipient(String(text)))
            } catch let error as AgeError {
                throw SnapError(.usage, "\(error)", underlying: error)
            }
        }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw SnapError(.inputNotFound, "cannot read the recipients file \(file)")
            }
            do {
                found += try AgeKeyFile.recipients(String(decoding: data, as: UTF8.self), name: file)
            } catch let error as AgeError {
                throw SnapError(.usage, "\(error)", underlying: error)
            }
        }
        return found
    }
}

/// Archives on disk, plain (`.tar.gz`) or encrypted with age (`.tar.gz.age`): opening either as
/// a `TarGzReader`, and encrypting a finished archive.
enum ArchiveFile {
    static let encryptedSuffix = ".age"
    private static let magic = Array("age-encryption.org/".utf8)

    /// True when the file starts like an age file (whatever its name).
    static func isEncrypted(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: magic.count)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n == magic.count && head == magic
    }

    /// A reader of the archive's `.tar.gz` bytes, decrypting an age file on the fly with `keys`.
    /// `fileBytesRead` tells how much of the file itself was read (for `list`).
    /// - Throws: `SnapError(.permission)` when no identity opens it (naming its stanza types),
    ///   `.damagedArchive` for a damaged age header; `ArchiveError` otherwise. A damaged
    ///   payload surfaces later, from the reader, as `ArchiveError` (`.corrupt`/`.truncated`).
    static func reader(_ path: String, keys: ArchiveKeys) throws -> (reader: TarGzReader, fileBytesRead: () -> Int64) {
        guard isEncrypted(path) else {
            let reader = try TarGzReader(path: path)
            return (reader, { reader.compressedBytesRead })
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(.io, "cannot open \(path): \(String(cString: strerror(errno)))", path: path) }
        let counter = Counter()
        let decryptor: AgeDecryptor
        do {
            decryptor = try AgeDecryptor(identities: keys.identities) { buffer in
                while true {
                    let n = read(fd, buffer.baseAddress, buffer.count)
                    if n >= 0 {
                        counter.value += Int64(n)
                        return n
                    }
                    if errno != EINTR { throw ArchiveError(.io, "cannot read \(path): \(String(cString: strerror(errno)))", path: path) }
                }
            }
        } catch let error as AgeError {
            close(fd)
            throw snapError(error, path: path, keys: keys)
        } catch {
            close(fd)
            throw error
        }
        let reader = try TarGzReader(
            source: { buffer in
                do {
                    return try decryptor.read(into: buffer)
                } catch let error as AgeError {
                    if case .truncated = error { throw ArchiveError(.truncated, "\(error)", path: path) }
                    throw ArchiveError(.corrupt, "\(error)", path: path)
                }
            }, name: path, onDeinit: { close(fd) })
        return (reader, { counter.value })
    }

    /// The room-level error for an age file that cannot be opened.
    static func snapError(_ error: AgeError, path: String, keys: ArchiveKeys) -> SnapError {
        switch error {
        case .noMatchingIdentity(let types):
            // A changed byte in a stanza reads as "not for this identity": the sidecar tells.
            if let text = try? String(contentsOfFile: path + ".sha256", encoding: .utf8),
               let recorded = text.split(separator: " ").first, let actual = try? BackupJob.sha256(ofFile: path), recorded != actual {
                return SnapError(.damagedArchive, "\(path) is damaged: it does not match its .sha256 sidecar, and no identity opens its age header; use another copy", underlying: error)
            }
            let list = types.isEmpty ? "no recipients" : types.joined(separator: ", ")
            let why = keys.identityFile.map { "the identity file \($0) opens none of them" }
                ?? "no identity was given: pass --identity FILE (or set SENTIENT_IDENTITY in the env file)"
            return SnapError(.permission, "\(path) is encrypted with age to recipient stanzas \(list), and \(why); nothing was changed", underlying: error)
        default:
            return SnapError(wrapping: error, "\(path) is damaged: \(error)")
        }
    }

    /// Encrypts the finished archive `plain` into a new file `output` (mode 0600, created
    /// exclusively, fsynced), streaming: one read buffer and one chunk in memory.
    /// `progress` is told the plain bytes encrypted so far.
    /// - Throws: `SnapError(.ioFailure)`; `output` is removed on failure.
    static func encrypt(_ plain: String, to output: String, recipients: [AgeRecipient], progress: ((Int64) -> Void)? = nil) throws {
        let input = open(plain, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw SnapError(.ioFailure, "cannot read \(plain): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let out = open(output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw SnapError(.ioFailure, "cannot create \(output): \(String(cString: strerror(errno)))") }
        var done = false
        defer {
            close(out)
            if !done { unlink(output) }
        }
        func fail(_ what: String) -> SnapError {
            SnapError(.ioFailure, "\(what) \(output): \(String(cString: strerror(errno))); nothing was published")
        }
        let encryptor = try AgeEncryptor(recipients: recipients) { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(out, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw fail("cannot write") }
                offset += n
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var encrypted: Int64 = 0
        while true {
            let n = read(input, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SnapError(.ioFailure, "cannot read \(plain): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            try encryptor.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            encrypted += Int64(n)
            progress?(encrypted)
        }
        try encryptor.finish()
        guard fsync(out) == 0 else { throw fail("cannot fsync") }
        done = true
    }

    private final class Counter: @unchecked Sendable {
        var value: Int64 = 0
    }
}

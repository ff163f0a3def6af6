import ArchiveWriter
import Crypto
import Foundation
import PGDump
import PGWire

/// What `export` wrote.
public struct ExportResult: Codable, Sendable {
    public var archive: String
    public var output: String
    public var format: String
    public var bytes: Int64
}

/// Gets the database out of an archive for stock PostgreSQL tools: the custom-format dump as it
/// is (for `pg_restore`), or rendered as a plain SQL script (for `psql -f`).
///
/// Both stream: the dump is never held in memory or spooled. The archive is read to its end,
/// so a damaged archive fails (and its output is removed) rather than yielding a silent half.
public enum DumpExport {
    public enum Format: String, Sendable {
        /// `db/database.dump` byte for byte.
        case dump
        /// A plain SQL script equivalent to `pg_restore -f`.
        case sql
    }

    /// Writes the archive's database to `output` (`-` for stdout).
    /// - Parameter noOwner: leave out `ALTER ... OWNER TO` (SQL only), as `pg_restore --no-owner`.
    /// - Throws: `SnapError(.inputNotFound)` for a missing archive or an archive without a
    ///   database; `.damagedArchive`; `.outputNotCreatable` / `.ioFailure` for the output.
    public static func export(archive: String, to output: String, format: Format, noOwner: Bool = false, keys: ArchiveKeys = .none) throws -> ExportResult {
        guard FileManager.default.fileExists(atPath: archive) else {
            throw SnapError(.inputNotFound, "archive \(archive) not found")
        }
        let sink = try OutputFile(output)
        var done = false
        defer { if !done { sink.discard() } }
        var expected: String?
        var found = false
        do {
            let reader = try ArchiveFile.reader(archive, keys: keys).reader
            while let entry = try reader.next() {
                let parts = entry.metadata.name.split(separator: "/").map(String.init)
                guard parts.count >= 2, case .file = entry.metadata.kind else { continue }
                let relative = parts.dropFirst().joined(separator: "/")
                if relative == ArchiveLayout.manifest {
                    let manifest = try Manifest.decode(try reader.readAll(limit: 32 << 20))
                    expected = manifest.files?.first { $0.path == ArchiveLayout.databaseDump }?.sha256
                    continue
                }
                let isDump = relative == ArchiveLayout.databaseDump
                let isPlain = relative == ArchiveLayout.legacySQLDump
                guard isDump || isPlain, !found else { continue }
                if isPlain && format == .dump {
                    throw SnapError(.inputNotFound, "\(archive) holds a plain SQL dump (db/database.sql, from the old scripts), not a custom-format one: use --sql, which writes it out as it is")
                }
                found = true
                var hasher = SHA256()
                let source: CustomArchiveDecoder.Source = { buffer in
                    let n = try reader.read(into: buffer)
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    return n
                }
                if format == .dump || isPlain {
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
                    defer { buffer.deallocate() }
                    while true {
                        let n = try source(buffer)
                        if n == 0 { break }
                        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    }
                } else {
                    do {
                        try SQLRenderer(decoder: CustomArchiveDecoder(source: source), noOwner: noOwner, producer: "sentient-snap \(SentientSnapVersion.current) export") { try sink.write($0) }.render()
                    } catch let error as DumpError {
                        throw SnapError(error.code == .unsupportedObject || error.code == .unsupported ? .failure : .damagedArchive,
                                        "db/database.dump in \(archive): \(error.message)", underlying: error)
                    }
                    ArchiveInspector.drainQuietly(source)
                }
                if isDump, let expected, BackupJob.hex(hasher.finalize()) != expected {
                    throw SnapError(.damagedArchive, "\(archive): db/database.dump does not match its SHA-256 in manifest.json; the archive is damaged")
                }
            }
            try reader.finishVerification()
        } catch let error as ArchiveError {
            throw SnapError(.damagedArchive, "\(archive) is damaged: \(error.message)", underlying: error)
        }
        guard found else {
            throw SnapError(.inputNotFound, "\(archive) holds no database (no db/database.dump): it is a config-only backup")
        }
        let bytes = try sink.finish()
        done = true
        return ExportResult(archive: archive, output: output, format: format.rawValue, bytes: bytes)
    }
}

extension ArchiveInspector {
    static func drainQuietly(_ source: CustomArchiveDecoder.Source) {
        try? drain(source)
    }
}

// MARK: - Output

/// A buffered output file, or stdout for `-`. Written to a temp file of its own
/// (`.<name>.<random>.partial`, created `O_EXCL | O_NOFOLLOW`, mode 0600) and linked into place
/// when finished: an existing file or link at the path is never overwritten or followed.
final class OutputFile {
    private let path: String
    private let temp: String?
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var written: Int64 = 0
    private var isOpen = true

    init(_ path: String) throws {
        self.path = path
        if path == "-" {
            temp = nil
            fd = STDOUT_FILENO
            return
        }
        try Self.refuseExisting(path)
        let dir = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var opened: Int32 = -1
        var partial = ""
        for _ in 0..<8 {
            let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            partial = (dir.isEmpty ? "" : dir + "/") + ".\(name).\(tag).partial"
            opened = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if opened >= 0 || errno != EEXIST { break }
        }
        guard opened >= 0 else {
            throw SnapError(.outputNotCreatable, "cannot create \(path): \(String(cString: strerror(errno))); nothing was written")
        }
        temp = partial
        fd = opened
        PartialFiles.shared.register(partial)
        buffer.reserveCapacity(1 << 20)
    }

    /// Anything at the path (a file, a link, even a dangling one) stops the export.
    private static func refuseExisting(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0 || errno != ENOENT {
            throw SnapError(.outputNotCreatable, "\(path) already exists: export never overwrites a file; remove it or name another. Nothing was written.")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let code: SnapError.Code = .ioFailure
                throw SnapError(code, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        written += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, fsyncs and links into place; returns the bytes written.
    func finish() throws -> Int64 {
        try flush()
        guard let temp else { return written }
        defer {
            unlink(temp)
            PartialFiles.shared.unregister(temp)
        }
        let synced = fsync(fd) == 0
        isOpen = false
        guard synced, close(fd) == 0 else {
            throw SnapError(.ioFailure, "cannot write \(path): \(String(cString: strerror(errno))); nothing was written")
        }
        // link() never replaces what is there, so a file created at the path meanwhile survives.
        if link(temp, path) != 0 {
            if errno == EEXIST { try Self.refuseExisting(path) }
            // File systems without hard links: rename, having looked once more.
            guard errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EMLINK else {
                throw SnapError(.ioFailure, "cannot write \(path): \(String(cString: strerror(errno))); nothing was written")
            }
            try Self.refuseExisting(path)
            guard rename(temp, path) == 0 else {
                throw SnapError(.ioFailure, "cannot write \(path): \(String(cString: strerror(errno))); nothing was written")
            }
        }
        BackupJob.fsyncDirectory((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        return written
    }

    /// Removes the partial output.
    func discard() {
        guard let temp else { return }
        if isOpen { close(fd) }
        isOpen = false
        unlink(temp)
        PartialFiles.shared.unregister(temp)
    }
}

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
    public static func export(archive: String, to output: String, format: Format, noOwner: Bool = false) throws -> ExportResult {
        guard FileManager.default.fileExists(atPath: archive) else {
            throw SnapError(.inputNotFound, "archive \(archive) not found")
        }
        let sink = try OutputFile(output)
        var done = false
        defer { if !done { sink.discard() } }
        var expected: String?
        var found = false
        do {
            let reader = try TarGzReader(path: archive)
            while let entry = try reader.next() {
                let parts = entry.metadata.name.split(separator: "/").map(String.init)
                guard parts.count >= 2, case .file = entry.metadata.kind else { continue }
                let relative = parts.dropFirst().joined(separator: "/")
                if relative == "manifest.json" {
                    let manifest = try Manifest.decode(try reader.readAll(limit: 32 << 20))
                    expected = manifest.files?.first { $0.path == "db/database.dump" }?.sha256
                    continue
                }
                let isDump = relative == "db/database.dump"
                let isPlain = relative == "db/database.sql"
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
                        try SQLRenderer(decoder: CustomArchiveDecoder(source: source), sink: sink, noOwner: noOwner).render()
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

// MARK: - SQL

/// Renders a custom-format dump as the script `pg_restore -f` would print: the session
/// settings, every entry's definition in restore order with its owner, table data as
/// `COPY ... FROM stdin;` followed by the rows and `\.`, sequence values, post-data, then ACLs.
///
/// The archive may be hostile: as pg_dump 15.14+ does, the script opens with `\restrict KEY`
/// (a fresh random key), so psql refuses every meta-command until the closing
/// `\unrestrict KEY`, and names in comment lines never carry a line break.
final class SQLRenderer {
    private let decoder: CustomArchiveDecoder
    private let sink: OutputFile
    private let noOwner: Bool

    init(decoder: CustomArchiveDecoder, sink: OutputFile, noOwner: Bool) {
        self.decoder = decoder
        self.sink = sink
        self.noOwner = noOwner
    }

    /// The key of `\restrict`: 64 random letters and digits, as pg_dump's.
    let restrictKey: String = {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<64).map { _ in alphabet.randomElement(using: &generator)! })
    }()

    func render() throws {
        let header = try decoder.readHeader()
        let entries = try decoder.readTOC()
        if let blob = entries.first(where: { ["BLOBS", "BLOB", "BLOB METADATA"].contains($0.desc) }) {
            throw DumpError(.unsupported, "the dump holds large objects (\(blob.desc) \(blob.tag)), which the SQL export cannot render yet; use --dump and pg_restore")
        }
        try text("\\restrict \(restrictKey)\n\n")
        try text("--\n-- PostgreSQL database dump\n--\n\n")
        try text("-- Dumped from database version \(Self.sanitize(header.serverVersion))\n-- Dumped by \(Self.sanitize(header.dumperVersion))\n")
        try text("-- Rendered as SQL by sentient-snap \(SentientSnapVersion.current) export\n\n")
        // Targets older than 17 reject transaction_timeout, so it is left out, as pg_restore 16 does.
        try text(try RestoreEngine.preamble(entries: entries, serverVersion: 160000) + "\n\n")

        // The same passes as the restore engine.
        let passes = RestorePasses(entries)
        var tableAM: String?
        for index in passes.preData {
            let entry = entries[index]
            if let am = entry.tableAM, !am.isEmpty, am != tableAM {
                try text("SET default_table_access_method = \(quoteIdentifier(am));\n\n")
                tableAM = am
            }
            try definition(entry)
        }
        for index in passes.data {
            let entry = entries[index]
            guard entry.hadDumper else {
                try definition(entry)
                continue
            }
            try decoder.seekBlock(for: entry)
            try text(comment(entry, prefix: "Data for "))
            if let copy = entry.copyStmt, !copy.isEmpty {
                try text(copy.hasSuffix("\n") ? copy : copy + "\n")
                var counter = RowCounter()
                var wrote: Int64 = 0
                try decoder.readTableData { chunk in
                    try sink.write(chunk)
                    wrote += Int64(chunk.count)
                    counter.feed(chunk)
                }
                // Data may or may not carry the end marker itself (pg_dump's and ours do).
                if wrote > 0 && !counter.endsWithNewline { try text("\n") }
                if counter.markerLines == 0 { try text("\\.\n") }
                try text("\n")
            } else {
                // Data stored as SQL statements (INSERTs).
                try decoder.readTableData { try sink.write($0) }
                try text("\n")
            }
        }
        for index in passes.postData { try definition(entries[index]) }
        for index in passes.acl + passes.last { try definition(entries[index]) }
        try text("--\n-- PostgreSQL database dump complete\n--\n\n")
        try text("\\unrestrict \(restrictKey)\n")
    }

    /// The comment above an entry, as pg_dump writes it: `-- Name: t; Type: TABLE; Schema: public; Owner: o`.
    private func comment(_ entry: TOCEntry, prefix: String = "") -> String {
        let owner = noOwner ? "-" : Self.sanitize(entry.owner ?? "-")
        return "--\n-- \(prefix)Name: \(Self.sanitize(entry.tag)); Type: \(Self.sanitize(entry.desc)); Schema: \(Self.sanitize(entry.namespace ?? "-")); Owner: \(owner)\n--\n\n"
    }

    /// Text from the archive made fit for a comment line: psql ends a line (and the comment) at
    /// a line feed or a carriage return, so each becomes a space (pg_dump's `sanitize_line`).
    static func sanitize(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    }

    private func definition(_ entry: TOCEntry) throws {
        var sql = entry.defn ?? ""
        if !noOwner, let owner = RestoreEngine.ownerStatement(entry) { sql += (sql.hasSuffix("\n") ? "" : "\n") + "\n" + owner + "\n" }
        guard !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        try text(comment(entry))
        try text(sql.hasSuffix("\n") ? sql + "\n" : sql + "\n\n")
    }

    private func text(_ string: String) throws {
        var copy = string
        try copy.withUTF8 { try sink.write(UnsafeRawBufferPointer($0)) }
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

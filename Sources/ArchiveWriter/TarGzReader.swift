import Compression

/// A tar entry as read.
public struct TarEntry: Sendable {
    public var metadata: TarEntryMetadata
    /// Body length in bytes (0 for directories and links).
    public var size: Int64
    /// Uncompressed offset of its header (of the first pax/GNU header that belongs to it).
    public var headerOffset: Int64
}

/// Reads a `.tar.gz` archive as a stream, entry by entry, with a bounded buffer: only as much of
/// the file is read as the entries asked for need (listing the first entry reads a few KiB).
///
/// Reads multi-member gzip, ustar, pax ('x') and GNU long name/link ('L'/'K') headers, base-256
/// numbers. Damage is reported as `.truncated` or `.corrupt` with an offset; sizes read from the
/// archive are never used to allocate memory.
public final class TarGzReader {
    /// Largest pax or GNU long-name header accepted (real ones are a few hundred bytes).
    static let metadataLimit: Int64 = 1 << 20

    private let gz: GzipInput
    private var offset: Int64 = 0
    private var remaining: Int64 = 0
    private var padding = 0
    private var current: TarEntry?
    private var reachedEnd = false
    private var verified = false
    private var failure: ArchiveError?
    private let scratch = ByteBlock(capacity: 64 * 1024)

    /// Opens `path` read-only.
    /// - Throws: `.io` if it cannot be opened.
    public convenience init(path: String) throws {
        let fd = try Sys.openReadOnly(path)
        do {
            try self.init(fd: fd, closeOnDeinit: true, name: path)
        } catch {
            Sys.closeQuietly(fd)
            throw error
        }
    }

    /// Reads from an open descriptor, from its current position.
    public convenience init(fileDescriptor: Int32, closeOnDeinit: Bool) throws {
        try self.init(fd: fileDescriptor, closeOnDeinit: closeOnDeinit, name: "the archive")
    }

    private init(fd: Int32, closeOnDeinit: Bool, name: String) throws {
        gz = try GzipInput(fd: fd, closeOnDeinit: closeOnDeinit, name: name)
    }

    /// Reads the `.tar.gz` bytes `source` produces (e.g. decrypted from an `.age` file);
    /// `name` is used in messages, `onDeinit` runs when the reader goes away (closes the file).
    public init(source: @escaping ArchiveByteSource, name: String, onDeinit: (() -> Void)? = nil) throws {
        gz = try GzipInput(source: source, onDeinit: onDeinit, name: name)
    }

    /// Bytes read from the file so far.
    public var compressedBytesRead: Int64 { gz.bytesRead }

    private var name: String { gz.name }

    /// Runs a step; after an error the reader stays failed (its position is unknown).
    private func step<T>(_ body: () throws -> T) throws -> T {
        if let failure { throw failure }
        do {
            return try body()
        } catch let error as ArchiveError {
            failure = error
            throw error
        }
    }

    private func truncatedTar(_ what: String, entry: String? = nil) -> ArchiveError {
        ArchiveError(
            .truncated,
            "\(name) is truncated: the tar data ends \(what) (uncompressed offset \(offset)) — the file was cut short; use another copy",
            path: entry ?? name, offset: offset)
    }

    // MARK: - Low-level reading

    /// Fills `buffer` completely unless the stream ends; returns the bytes read.
    private func readFully(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var n = 0
        while n < buffer.count {
            let got = try gz.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[n...]))
            if got == 0 { break }
            n += got
        }
        offset += Int64(n)
        return n
    }

    private func skip(_ count: Int64, what: String) throws {
        var left = count
        while left > 0 {
            let n = Int(min(left, Int64(scratch.capacity)))
            let got = try readFully(UnsafeMutableRawBufferPointer(start: scratch.pointer, count: n))
            if got < n { throw truncatedTar(what) }
            left -= Int64(n)
        }
    }

    /// Reads a metadata body (pax records, GNU long name) of `size` bytes plus padding,
    /// growing the array only as data actually arrives.
    private func readMetadata(_ size: Int64, kind: String) throws -> [UInt8] {
        guard size <= Self.metadataLimit else {
            throw ArchiveError(
                .tooLarge,
                "\(name): a \(kind) header at uncompressed offset \(offset) declares \(size) bytes, over the \(Self.metadataLimit) byte limit — the archive is damaged or not supported",
                path: name, offset: offset)
        }
        var data: [UInt8] = []
        var left = Int(size)
        while left > 0 {
            let n = min(left, scratch.capacity)
            let got = try readFully(UnsafeMutableRawBufferPointer(start: scratch.pointer, count: n))
            data += UnsafeRawBufferPointer(start: scratch.pointer, count: got)
            if got < n { throw truncatedTar("inside a \(kind) header") }
            left -= n
        }
        try skip(Int64(TarFormat.paddingAfter(size)), what: "inside a \(kind) header")
        return data
    }

    // MARK: - Entries

    /// Advances to the next entry, skipping the unread body of the current one. nil at the end
    /// of the archive (two zero blocks).
    /// - Throws: `.truncated`, `.corrupt`, `.tooLarge` (a metadata header over 1 MiB),
    ///   `.unsupported`, `.io`.
    public func next() throws -> TarEntry? {
        try step {
            if reachedEnd { return nil }
            if let current {
                try skip(remaining, what: "inside the body of \(current.metadata.name)")
                try skip(Int64(padding), what: "after the body of \(current.metadata.name)")
                remaining = 0
                padding = 0
                self.current = nil
            }
            var pax: [String: String] = [:]
            var longName: [UInt8]?
            var longLink: [UInt8]?
            var firstHeaderOffset: Int64?
            var block = [UInt8](repeating: 0, count: TarFormat.blockSize)
            while true {
                let headerOffset = offset
                let got = try block.withUnsafeMutableBytes { try readFully($0) }
                if got == 0 { throw truncatedTar("without the end-of-archive marker") }
                if got < TarFormat.blockSize { throw truncatedTar("inside a header") }
                if block.withUnsafeBytes({ TarParse.isZeroBlock($0) }) {
                    // End of archive. Consume the second zero block if present (a lone zero
                    // block at the very end is accepted, as GNU tar does).
                    _ = try block.withUnsafeMutableBytes { try readFully($0) }
                    reachedEnd = true
                    return nil
                }
                let h = try block.withUnsafeBytes { try TarParse.header($0, archive: name, offset: headerOffset) }
                if firstHeaderOffset == nil { firstHeaderOffset = headerOffset }
                switch h.typeflag {
                case UInt8(ascii: "x"):
                    let data = try readMetadata(h.size, kind: "pax")
                    guard TarParse.paxRecords(data, into: &pax) else {
                        throw ArchiveError(
                            .corrupt,
                            "\(name) is corrupt: malformed pax header at uncompressed offset \(headerOffset) — use another copy",
                            path: name, offset: headerOffset)
                    }
                    continue
                case UInt8(ascii: "g"):
                    _ = try readMetadata(h.size, kind: "pax global")
                    continue
                case UInt8(ascii: "L"):
                    longName = Array(try readMetadata(h.size, kind: "GNU long name").prefix { $0 != 0 })
                    continue
                case UInt8(ascii: "K"):
                    longLink = Array(try readMetadata(h.size, kind: "GNU long link").prefix { $0 != 0 })
                    continue
                default:
                    break
                }
                return try makeEntry(h, pax: pax, longName: longName, longLink: longLink,
                                     headerOffset: firstHeaderOffset ?? headerOffset)
            }
        }
    }

    private func makeEntry(
        _ h: RawTarHeader, pax: [String: String], longName: [UInt8]?, longLink: [UInt8]?, headerOffset: Int64
    ) throws -> TarEntry {
        func bad(_ what: String) -> ArchiveError {
            ArchiveError(
                .corrupt, "\(name) is corrupt: \(what) in the header at uncompressed offset \(headerOffset) — use another copy",
                path: name, offset: headerOffset)
        }
        // A NUL would cut the name short in every system call that takes it, so that what is
        // checked and what is created differ: refused, not truncated.
        for key in ["path", "linkpath"] where pax[key]?.utf8.contains(0) == true {
            throw ArchiveError(
                .unsafePath, "\(name): the pax \(key) of the entry at uncompressed offset \(headerOffset) contains a NUL byte — the archive is damaged or hostile",
                path: name, offset: headerOffset)
        }
        var entryName = pax["path"] ?? longName.map { String(decoding: $0, as: UTF8.self) }
            ?? String(decoding: h.name, as: UTF8.self)
        let link = pax["linkpath"] ?? longLink.map { String(decoding: $0, as: UTF8.self) }
            ?? String(decoding: h.linkname, as: UTF8.self)
        var size = h.size
        if let s = pax["size"] {
            guard let v = TarParse.paxInteger(s), v >= 0 else { throw bad("invalid pax size \"\(s)\"") }
            size = v
        }
        var mtime = h.mtime
        if let s = pax["mtime"] {
            guard let v = TarParse.paxInteger(s) else { throw bad("invalid pax mtime \"\(s)\"") }
            mtime = v
        }
        var uid = h.uid
        var gid = h.gid
        if let s = pax["uid"], let v = Int64(s) { uid = v }
        if let s = pax["gid"], let v = Int64(s) { gid = v }
        let kind: TarEntryMetadata.Kind
        var hasBody: Bool
        switch h.typeflag {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            kind = .file
            hasBody = true
        case UInt8(ascii: "5"):
            kind = .directory
            hasBody = false
        case UInt8(ascii: "2"):
            kind = .symlink(target: link)
            hasBody = false
        case UInt8(ascii: "1"):
            kind = .hardlink(target: link)
            hasBody = false
        case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"):
            kind = .other(typeflag: h.typeflag)
            hasBody = false
        default:
            kind = .other(typeflag: h.typeflag)
            hasBody = true
        }
        if case .file = kind, h.typeflag == 0, entryName.hasSuffix("/") {
            // Old (pre-POSIX) archives mark directories by a trailing slash only.
            return try makeEntry(
                RawTarHeader(
                    name: h.name, mode: h.mode, uid: h.uid, gid: h.gid, size: h.size, mtime: h.mtime,
                    typeflag: UInt8(ascii: "5"), linkname: h.linkname, uname: h.uname, gname: h.gname, isUstar: h.isUstar),
                pax: pax, longName: longName, longLink: longLink, headerOffset: headerOffset)
        }
        if !hasBody { size = 0 }
        if case .directory = kind {
            while entryName.count > 1 && entryName.hasSuffix("/") { entryName.removeLast() }
        }
        var meta = TarEntryMetadata(
            name: entryName, kind: kind, mode: UInt32(truncatingIfNeeded: h.mode & 0o7777), mtime: mtime,
            uid: UInt32(truncatingIfNeeded: max(0, uid)), gid: UInt32(truncatingIfNeeded: max(0, gid)),
            uname: pax["uname"] ?? String(decoding: h.uname, as: UTF8.self),
            gname: pax["gname"] ?? String(decoding: h.gname, as: UTF8.self))
        meta.name = entryName
        let entry = TarEntry(metadata: meta, size: size, headerOffset: headerOffset)
        current = entry
        remaining = size
        padding = TarFormat.paddingAfter(size)
        return entry
    }

    // MARK: - Bodies

    /// Reads the current entry's body in chunks; returns 0 at the end of the entry.
    /// - Throws: `.truncated` if the archive ends inside the body; `.corrupt`, `.io`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try step {
            guard remaining > 0, buffer.count > 0, let current else { return 0 }
            let want = Int(min(Int64(buffer.count), remaining))
            let got = try readFully(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            remaining -= Int64(got)
            if got < want {
                throw truncatedTar("inside the body of \(current.metadata.name)", entry: current.metadata.name)
            }
            return got
        }
    }

    /// The rest of the current entry's body.
    /// - Throws: `.tooLarge` (before reading anything) if the body is larger than `limit`;
    ///   the errors of `read(into:)`.
    public func readAll(limit: Int) throws -> [UInt8] {
        if let failure { throw failure }
        if remaining > Int64(limit) {
            let entryName = current?.metadata.name ?? "entry"
            throw ArchiveError(
                .tooLarge, "\(name): entry \(entryName) is \(remaining) bytes, over the \(limit) byte limit for reading it whole",
                path: entryName)
        }
        var out: [UInt8] = []
        while true {
            let n = try read(into: UnsafeMutableRawBufferPointer(start: scratch.pointer, count: scratch.capacity))
            if n == 0 { return out }
            out += UnsafeRawBufferPointer(start: scratch.pointer, count: n)
        }
    }

    /// After `next()` returned nil: reads the rest of the file, checking that every gzip member's
    /// CRC-32 and length match and that nothing but zero padding follows.
    /// - Throws: `.usage` if the end of the archive was not reached; `.truncated`, `.corrupt`, `.io`.
    public func finishVerification() throws {
        try step {
            guard reachedEnd else {
                throw ArchiveError(.usage, "finishVerification() called before next() returned nil", path: name)
            }
            if verified { return }
            while try gz.read(into: UnsafeMutableRawBufferPointer(start: scratch.pointer, count: scratch.capacity)) > 0 {}
            verified = true
        }
    }
}

import Compression
import Foundation

/// Reads a custom-format archive from a forward-only byte source: header, TOC, then the
/// data blocks in file order. Works for our own archives and stock `pg_dump -Fc` ones
/// (1.12 to 1.16; gzip-compressed blocks are inflated).
public final class CustomArchiveDecoder {
    public typealias Source = (UnsafeMutableRawBufferPointer) throws -> Int

    private let source: Source
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    public private(set) var header: DumpHeader?
    public private(set) var bytesRead: Int64 = 0

    /// - Parameter source: reads up to `count` bytes into the buffer, returns 0 at the end.
    public init(source: @escaping Source) {
        self.source = source
        self.buffer = [UInt8](repeating: 0, count: 64 * 1024)
    }

    // MARK: header and TOC

    public func readHeader() throws -> DumpHeader {
        let magic = try readBytes(5)
        guard magic == Array("PGDMP".utf8) else {
            throw DumpError(.corrupt, "not a PostgreSQL custom-format dump (no PGDMP signature)")
        }
        let vmaj = try readByte(), vmin = try readByte(), vrev = try readByte()
        let version = ArchiveVersion(vmaj, vmin, vrev)
        guard version >= ArchiveVersion(1, 12), version < ArchiveVersion(1, 17) else {
            throw DumpError(.unsupported, "unsupported dump archive version \(vmaj).\(vmin): this tool reads 1.12 to 1.16 (pg_dump 9.6 to 18)")
        }
        intSize = Int(try readByte())
        offSize = Int(try readByte())
        guard (1...8).contains(intSize), (1...8).contains(offSize) else {
            throw DumpError(.corrupt, "dump header has invalid integer sizes (\(intSize), \(offSize))")
        }
        let format = try readByte()
        guard format == 1 else {
            throw DumpError(.corrupt, "dump is not in custom format (format code \(format))")
        }
        let compression: DumpCompression
        if version >= .v1_15 {
            switch try readByte() {
            case 0: compression = .none
            case 1: compression = .gzip
            case 2: compression = .lz4
            case 3: compression = .zstd
            case let other: throw DumpError(.unsupported, "dump uses unknown compression method \(other)")
            }
        } else {
            let level = try readInt()
            guard (-1...9).contains(level) else {
                throw DumpError(.unsupported, "dump header has invalid compression level \(level)")
            }
            compression = level == 0 ? .none : .gzip
        }
        var parts = tm()
        parts.tm_sec = Int32(clamping: try readInt())
        parts.tm_min = Int32(clamping: try readInt())
        parts.tm_hour = Int32(clamping: try readInt())
        parts.tm_mday = Int32(clamping: try readInt())
        parts.tm_mon = Int32(clamping: try readInt())
        parts.tm_year = Int32(clamping: try readInt())
        parts.tm_isdst = Int32(clamping: try readInt())
        let seconds = mktime(&parts)
        let database = try readString() ?? ""
        let serverVersion = try readString() ?? ""
        let dumperVersion = try readString() ?? ""
        var header = DumpHeader(
            createdAt: Date(timeIntervalSince1970: TimeInterval(seconds)), databaseName: database,
            serverVersion: serverVersion, dumperVersion: dumperVersion)
        header.version = version
        header.intSize = UInt8(intSize)
        header.offSize = UInt8(offSize)
        header.compression = compression
        self.header = header
        return header
    }

    /// - Throws: `DumpError(.corrupt)` also for a TOC that fails `TOC.validate`.
    public func readTOC() throws -> [TOCEntry] {
        guard let header else { preconditionFailure("readHeader first") }
        let count = try readInt()
        guard count >= 0, count < 10_000_000 else {
            throw DumpError(.corrupt, "dump TOC claims \(count) entries")
        }
        var entries: [TOCEntry] = []
        entries.reserveCapacity(min(count, 100_000))
        for index in 0..<count {
            let dumpId = try readInt()
            guard dumpId > 0, dumpId <= Int32.max else {
                throw DumpError(.corrupt, "dump TOC entry \(index + 1) has invalid id \(dumpId)")
            }
            let hadDumper = try readInt() != 0
            let tableOID = try readString() ?? "0"
            let oid = try readString() ?? "0"
            let tag = try readString() ?? ""
            let desc = try readString() ?? ""
            let sectionValue = try readInt()
            guard let section = DumpSection(rawValue: Int32(clamping: sectionValue)) else {
                throw DumpError(.corrupt, "dump TOC entry \(dumpId) (\(desc) \(tag)) has invalid section \(sectionValue)")
            }
            var entry = TOCEntry(dumpId: Int32(dumpId), tag: tag, desc: desc, section: section)
            entry.hadDumper = hadDumper
            entry.tableOID = tableOID
            entry.oid = oid
            entry.defn = try readString()
            entry.dropStmt = try readString()
            entry.copyStmt = try readString()
            entry.namespace = try readString()
            entry.tablespace = try readString()
            entry.tableAM = try readString()
            if header.version >= .v1_16 { entry.relkind = Int32(clamping: try readInt()) }
            entry.owner = try readString()
            _ = try readString()  // withOids
            while let dep = try readString() {
                if let id = Int32(dep) { entry.dependencies.append(id) }
            }
            let flag = try readByte()
            let position = try readOffset()
            switch flag {
            case 1: entry.dataOffset = .notSet
            case 2: entry.dataOffset = .set(position)
            case 3: entry.dataOffset = .noData
            default:
                throw DumpError(.corrupt, "dump TOC entry \(dumpId) has invalid data offset flag \(flag)")
            }
            entries.append(entry)
        }
        try TOC.validate(entries, strictDependencies: header.dumperVersion.hasPrefix("sentient-snap"))
        return entries
    }

    // MARK: data blocks

    /// Reads the next data block header. Returns nil at the end of the file.
    public func nextBlock() throws -> (dumpId: Int32, isBlobs: Bool)? {
        guard try fill(1) else { return nil }
        let type = try readByte()
        guard type == BlockType.data.rawValue || type == BlockType.blobs.rawValue else {
            throw DumpError(.corrupt, "dump data area has an invalid block type \(type) at byte \(bytesRead - 1)")
        }
        let id = try readInt()
        guard id > 0, id <= Int32.max else { throw DumpError(.corrupt, "dump data block has invalid id \(id)") }
        return (Int32(id), type == BlockType.blobs.rawValue)
    }

    /// Streams the current table-data block's content (decompressed) to `body`, up to its end.
    /// - Returns: the number of decompressed bytes.
    @discardableResult
    public func readTableData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        guard let header else { preconditionFailure("readHeader first") }
        var total: Int64 = 0
        switch header.compression {
        case .none:
            try readChunks { chunk in
                total += Int64(chunk.count)
                try body(chunk)
            }
        case .gzip:
            var ended = false
            do {
                let inflater = try ZlibInflater()
                try readChunks { chunk in
                    guard !ended else { return }
                    ended = try inflater.inflate(chunk) { out in
                        total += Int64(out.count)
                        try body(out)
                    }
                }
            } catch let error as CompressionError where error.code == .corrupt {
                throw DumpError(.corrupt, "a table-data block of the dump is damaged: \(error.message)")
            }
            guard ended else { throw DumpError(.corrupt, "a compressed table-data block ends before its zlib stream does") }
        case .lz4, .zstd:
            throw DumpError(.unsupported, "this dump's table data is compressed with \(header.compression); only gzip and uncompressed dumps are supported (re-run pg_dump with -Z gzip)")
        }
        return total
    }

    /// In a BLOBS block: the next large object's OID, nil at the block's end. Its content
    /// follows and is read with `readTableData` (each object is its own compressed stream).
    public func nextLargeObject() throws -> UInt32? {
        let oid = try readInt()
        guard oid != 0 else { return nil }
        // pg_dump writes OIDs through a C int: those above 2^31 come out negative.
        return UInt32(bitPattern: Int32(truncatingIfNeeded: oid))
    }

    /// Skips the current block (table data or large objects).
    public func skipBlock(isBlobs: Bool) throws {
        if isBlobs {
            while try readInt() != 0 { try readChunks { _ in } }
        } else {
            try readChunks { _ in }
        }
    }

    private func readChunks(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while true {
            let length = try readInt()
            if length == 0 { return }
            guard length > 0 else { throw DumpError(.corrupt, "dump data chunk has negative length \(length)") }
            var remaining = length
            while remaining > 0 {
                guard try fill(1) else { throw truncated() }
                let n = min(remaining, end - start)
                try buffer.withUnsafeBytes { raw in
                    try body(UnsafeRawBufferPointer(rebasing: raw[start..<(start + n)]))
                }
                start += n
                bytesRead += Int64(n)
                remaining -= n
            }
        }
    }

    // MARK: primitives

    private var intSize = 4
    private var offSize = 8

    private func truncated() -> DumpError {
        DumpError(.truncated, "the dump ends early (after \(bytesRead) bytes): the file is truncated")
    }

    /// Ensures `count` bytes are buffered; false only if the source ended with none buffered.
    private func fill(_ count: Int) throws -> Bool {
        if end - start >= count { return true }
        if start > 0 {
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
        }
        while end - start < count && !eof {
            let n = try buffer.withUnsafeMutableBytes { raw in
                try source(UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
            }
            if n == 0 { eof = true } else { end += n }
        }
        if end - start >= count { return true }
        if end == start { return false }
        throw truncated()
    }

    private func readByte() throws -> UInt8 {
        guard try fill(1) else { throw truncated() }
        let value = buffer[start]
        start += 1
        bytesRead += 1
        return value
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(count, 1 << 20))
        var remaining = count
        while remaining > 0 {
            guard try fill(1) else { throw truncated() }
            let n = min(remaining, end - start)
            out.append(contentsOf: buffer[start..<(start + n)])
            start += n
            bytesRead += Int64(n)
            remaining -= n
        }
        return out
    }

    private func readInt() throws -> Int {
        let sign = try readByte()
        var value: UInt64 = 0
        for i in 0..<intSize {
            let byte = UInt64(try readByte())
            if i < 8 { value |= byte << (8 * UInt64(i)) }
        }
        guard value <= UInt64(Int32.max) + 1 else {
            throw DumpError(.corrupt, "dump holds an integer out of range at byte \(bytesRead)")
        }
        return sign == 0 ? Int(value) : -Int(value)
    }

    private func readOffset() throws -> Int64 {
        var value: UInt64 = 0
        for i in 0..<offSize {
            let byte = UInt64(try readByte())
            value |= byte << (8 * UInt64(i))
        }
        return Int64(bitPattern: value)
    }

    private func readString() throws -> String? {
        let length = try readInt()
        if length < 0 { return nil }
        guard length < 1 << 30 else { throw DumpError(.corrupt, "dump holds a string of \(length) bytes") }
        let bytes = try readBytes(length)
        return String(decoding: bytes, as: UTF8.self)
    }
}

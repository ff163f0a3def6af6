import Foundation

// The pg_dump "custom" archive format (pg_dump -Fc), as described in
// docs/pg-custom-archive-format.md: little-endian sign-magnitude ints, length-prefixed
// strings with -1 for NULL, a header, a TOC, then one data block per TOC entry with data.

/// Section of a TOC entry (`teSection` in pg_backup.h).
public enum DumpSection: Int32, Sendable, Comparable {
    case none = 1, preData = 2, data = 3, postData = 4
    public static func < (a: DumpSection, b: DumpSection) -> Bool { a.rawValue < b.rawValue }
}

/// Where an entry's data block is (custom format "extra" TOC field).
public enum DataOffset: Sendable, Equatable {
    /// Has data, position unknown: readers scan blocks in file order.
    case notSet
    case set(Int64)
    case noData
}

/// Archive version, compared as pg_dump does: (major*256 + minor)*256 + rev.
public struct ArchiveVersion: Sendable, Comparable, CustomStringConvertible {
    public var major: UInt8, minor: UInt8, rev: UInt8
    public init(_ major: UInt8, _ minor: UInt8, _ rev: UInt8 = 0) {
        self.major = major
        self.minor = minor
        self.rev = rev
    }
    var value: Int { (Int(major) * 256 + Int(minor)) * 256 + Int(rev) }
    public static func < (a: ArchiveVersion, b: ArchiveVersion) -> Bool { a.value < b.value }
    public var description: String { "\(major).\(minor)" }

    /// The newest version stock pg_restore 15 reads (and 16-18 still do): what we write.
    public static let v1_14 = ArchiveVersion(1, 14)
    public static let v1_15 = ArchiveVersion(1, 15)
    public static let v1_16 = ArchiveVersion(1, 16)
}

/// Compression of table data inside a custom archive.
public enum DumpCompression: Sendable, Equatable {
    case none, gzip, lz4, zstd
}

/// The archive header (`WriteHead` / `ReadHead`).
public struct DumpHeader: Sendable {
    public var version: ArchiveVersion = .v1_14
    public var intSize: UInt8 = 4
    public var offSize: UInt8 = 8
    public var compression: DumpCompression = .none
    /// Creation time fields as `struct tm` in the dumping machine's local time.
    public var createdAt: Date
    public var databaseName: String
    public var serverVersion: String
    public var dumperVersion: String

    public init(createdAt: Date, databaseName: String, serverVersion: String, dumperVersion: String) {
        self.createdAt = createdAt
        self.databaseName = databaseName
        self.serverVersion = serverVersion
        self.dumperVersion = dumperVersion
    }
}

/// One TOC entry. Field order and meaning follow `WriteToc` in pg_backup_archiver.c.
public struct TOCEntry: Sendable {
    public var dumpId: Int32
    public var hadDumper: Bool = false
    /// Catalog OID of the object's system catalog ("0" if none). Never nil: pg_restore crashes on NULL.
    public var tableOID: String = "0"
    public var oid: String = "0"
    /// The name `pg_restore -l` shows, e.g. `events`, `events events_pkey`, `TABLE events`.
    public var tag: String
    /// Entry type: TABLE, TABLE DATA, SEQUENCE SET, INDEX, ...
    public var desc: String
    public var section: DumpSection
    public var defn: String?
    public var dropStmt: String?
    public var copyStmt: String?
    public var namespace: String?
    public var tablespace: String?
    public var tableAM: String?
    /// Only in 1.16 archives.
    public var relkind: Int32 = 0
    public var owner: String?
    public var dependencies: [Int32] = []
    public var dataOffset: DataOffset = .noData

    public init(dumpId: Int32, tag: String, desc: String, section: DumpSection) {
        self.dumpId = dumpId
        self.tag = tag
        self.desc = desc
        self.section = section
    }
}

/// Block types inside the data area.
enum BlockType: UInt8 {
    case data = 1
    case blobs = 3
}

// MARK: - Encoder

/// Writes a custom-format archive to a byte sink, in one pass: header, complete TOC
/// (offsets "not set"), then data blocks in TOC order. Stock pg_restore `-l`, `-d` and
/// `-j` accept such a file (format doc §5.3), so nothing is patched and the file can be
/// hashed as it streams.
public final class CustomArchiveEncoder {
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void
    private let sink: Sink
    private var buffer: [UInt8] = []
    private var openBlock: Int32?
    public private(set) var bytesWritten: Int64 = 0

    public init(sink: @escaping Sink) {
        self.sink = sink
        buffer.reserveCapacity(64 * 1024)
    }

    public func writeHeader(_ header: DumpHeader) throws {
        precondition(header.version == .v1_14, "the encoder writes archive version 1.14 only")
        buffer.append(contentsOf: Array("PGDMP".utf8))
        buffer.append(contentsOf: [header.version.major, header.version.minor, header.version.rev])
        buffer.append(contentsOf: [header.intSize, header.offSize, 1 /* archCustom */])
        appendInt(header.compression == .none ? 0 : -1)
        var time = time_t(header.createdAt.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&time, &parts)
        for value in [parts.tm_sec, parts.tm_min, parts.tm_hour, parts.tm_mday, parts.tm_mon, parts.tm_year, parts.tm_isdst] {
            appendInt(Int64(value))
        }
        appendString(header.databaseName)
        appendString(header.serverVersion)
        appendString(header.dumperVersion)
        try flush()
    }

    /// Writes the whole TOC. Entries must be in restore order and data entries' blocks must
    /// then be written in the same order.
    public func writeTOC(_ entries: [TOCEntry]) throws {
        appendInt(Int64(entries.count))
        for entry in entries {
            precondition(entry.dumpId > 0)
            appendInt(Int64(entry.dumpId))
            appendInt(entry.hadDumper ? 1 : 0)
            appendString(entry.tableOID)
            appendString(entry.oid)
            appendString(entry.tag)
            appendString(entry.desc)
            appendInt(Int64(entry.section.rawValue))
            appendString(entry.defn)
            appendString(entry.dropStmt)
            appendString(entry.copyStmt)
            appendString(entry.namespace)
            appendString(entry.tablespace)
            appendString(entry.tableAM)
            appendString(entry.owner)
            appendString("false")
            for dep in entry.dependencies { appendString(String(dep)) }
            appendString(nil)
            switch entry.hadDumper ? entry.dataOffset : .noData {
            case .notSet: appendOffset(flag: 1, 0)
            case .set(let position): appendOffset(flag: 2, position)
            case .noData: appendOffset(flag: 3, 0)
            }
            if buffer.count > 60_000 { try flush() }
        }
        try flush()
    }

    /// Starts the data block of entry `dumpId`.
    public func beginData(dumpId: Int32) throws {
        precondition(openBlock == nil, "a data block is already open")
        openBlock = dumpId
        buffer.append(BlockType.data.rawValue)
        appendInt(Int64(dumpId))
        try flush()
    }

    /// Writes one chunk of the open data block. Empty input writes nothing, because a
    /// zero-length chunk means "end of block" to readers.
    public func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(openBlock != nil, "no data block is open")
        guard bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Int(Int32.max))
            appendInt(Int64(n))
            try flush()
            try emit(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            offset += n
        }
    }

    public func writeData(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeData($0) }
    }

    /// Ends the open data block (a zero-length chunk).
    public func endData() throws {
        precondition(openBlock != nil && !inLargeObjects, "no data block is open")
        openBlock = nil
        appendInt(0)
        try flush()
    }

    // Large objects: one BLOBS block holding, per object, its OID and its content as chunks
    // ending with a zero-length one, then OID 0 (pg_backup_custom.c _StartLO/_EndLO/_EndLOs).
    private var inLargeObjects = false

    /// Starts the BLOBS block of entry `dumpId`.
    public func beginLargeObjects(dumpId: Int32) throws {
        precondition(openBlock == nil, "a data block is already open")
        buffer.append(BlockType.blobs.rawValue)
        appendInt(Int64(dumpId))
        inLargeObjects = true
        try flush()
    }

    /// Starts one large object; its content follows through `writeData`, then `endLargeObject`.
    /// pg_dump writes the OID through a C int, so OIDs above 2^31 appear negative; so do we.
    public func beginLargeObject(oid: UInt32) throws {
        precondition(inLargeObjects && openBlock == nil && oid != 0, "no BLOBS block is open")
        appendInt(Int64(Int32(bitPattern: oid)))
        openBlock = Int32(bitPattern: oid)
        try flush()
    }

    public func endLargeObject() throws {
        precondition(inLargeObjects && openBlock != nil, "no large object is open")
        openBlock = nil
        appendInt(0)
        try flush()
    }

    /// Ends the BLOBS block (OID 0).
    public func endLargeObjects() throws {
        precondition(inLargeObjects && openBlock == nil, "a large object is still open")
        inLargeObjects = false
        appendInt(0)
        try flush()
    }

    // MARK: primitives

    private func appendInt(_ value: Int64) {
        buffer.append(value < 0 ? 1 : 0)
        var magnitude = value.magnitude
        for _ in 0..<4 {
            buffer.append(UInt8(truncatingIfNeeded: magnitude))
            magnitude >>= 8
        }
    }

    private func appendString(_ value: String?) {
        guard let value else {
            appendInt(-1)
            return
        }
        let bytes = Array(value.utf8)
        appendInt(Int64(bytes.count))
        buffer.append(contentsOf: bytes)
    }

    private func appendOffset(flag: UInt8, _ position: Int64) {
        buffer.append(flag)
        var value = UInt64(position)
        for _ in 0..<8 {
            buffer.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try emit($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        try sink(bytes)
        bytesWritten += Int64(bytes.count)
    }
}

// Tar headers: ustar (POSIX.1-1988) blocks and pax (POSIX.1-2001) extended records, written and
// parsed. Pure byte manipulation; no I/O.

/// The metadata of one tar entry, as written or as read.
public struct TarEntryMetadata: Sendable, Equatable {
    /// The entry type (tar typeflag).
    public enum Kind: Sendable, Equatable {
        case file
        case directory
        case symlink(target: String)
        case hardlink(target: String)
        /// Any other typeflag (devices, FIFOs, GNU sparse, ...); written with no body.
        case other(typeflag: UInt8)
    }

    /// Path inside the archive, '/'-separated, UTF-8, any length. Directories may end with '/'
    /// (written with one either way; the reader returns directory names without it).
    public var name: String
    public var kind: Kind
    /// Permission bits, e.g. 0o644.
    public var mode: UInt32
    /// Modification time, seconds since the epoch.
    public var mtime: Int64
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var uname: String = ""
    public var gname: String = ""

    public init(
        name: String, kind: Kind = .file, mode: UInt32 = 0o644, mtime: Int64,
        uid: UInt32 = 0, gid: UInt32 = 0, uname: String = "", gname: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.mode = mode
        self.mtime = mtime
        self.uid = uid
        self.gid = gid
        self.uname = uname
        self.gname = gname
    }
}

/// Checks of entry names shared by the writer and by code that extracts archives.
public enum ArchivePath {
    /// Throws `.unsafePath` unless `name` is a non-empty relative path without NUL bytes and
    /// without `..` components (so it cannot escape the directory it is extracted into).
    public static func checkRelative(_ name: String) throws {
        let bytes = Array(name.utf8)
        if bytes.isEmpty {
            throw ArchiveError(.unsafePath, "an archive entry has an empty name", path: name)
        }
        if bytes.contains(0) {
            throw ArchiveError(.unsafePath, "archive entry name \"\(name)\" contains a NUL byte", path: name)
        }
        if bytes.first == UInt8(ascii: "/") {
            throw ArchiveError(.unsafePath, "archive entry name \"\(name)\" is absolute; entry names must be relative", path: name)
        }
        if name.split(separator: "/", omittingEmptySubsequences: true).contains("..") {
            throw ArchiveError(.unsafePath, "archive entry name \"\(name)\" contains a \"..\" component", path: name)
        }
    }
}

// MARK: - Writing

enum TarFormat {
    static let blockSize = 512
    /// The largest value of an 11-digit octal field (size, mtime): 8 GiB - 1.
    static let maxOctal11: Int64 = 0o77777777777
    /// The largest value of a 7-digit octal field (mode, uid, gid).
    static let maxOctal7: Int64 = 0o7777777

    static func paddingAfter(_ size: Int64) -> Int {
        let r = Int(size % Int64(blockSize))
        return r == 0 ? 0 : blockSize - r
    }

    /// One pax record, "<len> <key>=<value>\n", where <len> counts the whole record including
    /// its own digits.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = key.utf8.count + value.utf8.count + 3  // ' ', '=', '\n'
        var length = body + 1
        // Adding the digits may carry the length into one more digit (e.g. 98 -> 101): iterate.
        while body + String(length).utf8.count != length {
            length = body + String(length).utf8.count
        }
        let record = Array("\(length) \(key)=\(value)\n".utf8)
        precondition(record.count == length, "pax record length mismatch")
        return record
    }

    /// Splits a name into ustar (prefix, name) fields, or nil when it does not fit.
    static func splitName(_ bytes: [UInt8]) -> (prefix: ArraySlice<UInt8>, name: ArraySlice<UInt8>)? {
        if bytes.count <= 100 { return (bytes[0..<0], bytes[...]) }
        // The longest name part: the first '/' such that what follows fits in 100 bytes.
        let firstCandidate = max(1, bytes.count - 101)
        guard firstCandidate < bytes.count else { return nil }
        for i in firstCandidate..<(bytes.count - 1) where bytes[i] == UInt8(ascii: "/") {
            if i > 155 { return nil }
            return (bytes[0..<i], bytes[(i + 1)...])
        }
        return nil
    }

    /// Truncates UTF-8 bytes to at most `limit` bytes without cutting a character.
    static func truncateUTF8(_ bytes: ArraySlice<UInt8>, _ limit: Int) -> ArraySlice<UInt8> {
        if bytes.count <= limit { return bytes }
        var end = bytes.startIndex + limit
        while end > bytes.startIndex && (bytes[end] & 0xC0) == 0x80 { end -= 1 }
        return bytes[bytes.startIndex..<end]
    }

    static func basename(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        var end = bytes.count
        while end > 0 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        var start = end
        while start > 0 && bytes[start - 1] != UInt8(ascii: "/") { start -= 1 }
        return bytes[start..<end]
    }

    struct UstarFields {
        var name: ArraySlice<UInt8> = []
        var mode: Int64 = 0
        var uid: Int64 = 0
        var gid: Int64 = 0
        var size: Int64 = 0
        var mtime: Int64 = 0
        var typeflag: UInt8 = UInt8(ascii: "0")
        var linkname: ArraySlice<UInt8> = []
        var uname: ArraySlice<UInt8> = []
        var gname: ArraySlice<UInt8> = []
        var prefix: ArraySlice<UInt8> = []
    }

    /// Writes `value` as zero-padded octal in `width - 1` digits plus a NUL.
    private static func putOctal(_ block: inout [UInt8], _ offset: Int, _ width: Int, _ value: Int64) {
        var v = UInt64(max(0, value))
        var i = offset + width - 2
        while i >= offset {
            block[i] = UInt8(ascii: "0") + UInt8(v & 7)
            v >>= 3
            i -= 1
        }
        block[offset + width - 1] = 0
    }

    private static func putBytes(_ block: inout [UInt8], _ offset: Int, _ width: Int, _ bytes: ArraySlice<UInt8>) {
        precondition(bytes.count <= width)
        for (k, b) in bytes.enumerated() { block[offset + k] = b }
    }

    /// One 512-byte ustar header block with its checksum.
    static func ustarBlock(_ f: UstarFields) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: blockSize)
        putBytes(&b, 0, 100, f.name)
        putOctal(&b, 100, 8, f.mode)
        putOctal(&b, 108, 8, f.uid)
        putOctal(&b, 116, 8, f.gid)
        putOctal(&b, 124, 12, f.size)
        putOctal(&b, 136, 12, f.mtime)
        b[156] = f.typeflag
        putBytes(&b, 157, 100, f.linkname)
        putBytes(&b, 257, 6, Array("ustar\0".utf8)[...])
        putBytes(&b, 263, 2, Array("00".utf8)[...])
        putBytes(&b, 265, 32, f.uname)
        putBytes(&b, 297, 32, f.gname)
        putOctal(&b, 329, 8, 0)
        putOctal(&b, 337, 8, 0)
        putBytes(&b, 345, 155, f.prefix)
        // The checksum is computed with its own field as eight spaces, then written as six
        // octal digits, NUL, space.
        for i in 148..<156 { b[i] = 0x20 }
        let sum = b.reduce(0) { $0 + Int64($1) }
        putOctal(&b, 148, 7, sum)
        b[155] = 0x20
        return b
    }

    /// The pax 'x' header block plus its records padded to whole blocks.
    static func paxBlocks(for nameBytes: [UInt8], records: [UInt8], meta: TarEntryMetadata) -> [UInt8] {
        var paxName = Array("PaxHeaders/".utf8)
        paxName += truncateUTF8(basename(nameBytes), 100 - paxName.count)
        var f = UstarFields()
        f.name = paxName[...]
        f.mode = 0o644
        f.size = Int64(records.count)
        f.mtime = min(max(meta.mtime, 0), maxOctal11)
        f.typeflag = UInt8(ascii: "x")
        var out = ustarBlock(f)
        out += records
        out += [UInt8](repeating: 0, count: paddingAfter(Int64(records.count)))
        return out
    }

    /// All header blocks for an entry: an optional pax header (with its records) then the ustar
    /// header. With `streaming`, the layout does not depend on `size`: a pax header is always
    /// written, with `mtime` and a `size` record of 20 zero-padded digits, so the region can be
    /// reserved before the size is known and rewritten in place with the same length.
    /// - Throws: `.unsafePath` for an unusable name or hard-link target; `.usage` for a
    ///   negative size or a NUL in a link target.
    static func headerBlocks(_ meta: TarEntryMetadata, size: Int64, streaming: Bool) throws -> [UInt8] {
        try ArchivePath.checkRelative(meta.name)
        guard size >= 0 else {
            throw ArchiveError(.usage, "entry \(meta.name): negative size \(size)", path: meta.name)
        }
        var name = meta.name
        var f = UstarFields()
        var linkTarget: String?
        switch meta.kind {
        case .file:
            f.typeflag = UInt8(ascii: "0")
        case .directory:
            f.typeflag = UInt8(ascii: "5")
            if !name.hasSuffix("/") { name += "/" }
        case .symlink(let target):
            f.typeflag = UInt8(ascii: "2")
            linkTarget = target
        case .hardlink(let target):
            f.typeflag = UInt8(ascii: "1")
            try ArchivePath.checkRelative(target)
            linkTarget = target
        case .other(let flag):
            f.typeflag = flag
        }
        var records: [UInt8] = []
        let nameBytes = Array(name.utf8)
        if let split = splitName(nameBytes) {
            f.prefix = split.prefix
            f.name = split.name
        } else {
            records += paxRecord("path", name)
            f.name = truncateUTF8(basename(nameBytes), 100)
        }
        if let linkTarget {
            let target = Array(linkTarget.utf8)
            if target.isEmpty || target.contains(0) {
                throw ArchiveError(.usage, "entry \(meta.name): link target is empty or contains a NUL byte", path: meta.name)
            }
            if target.count <= 100 {
                f.linkname = target[...]
            } else {
                records += paxRecord("linkpath", linkTarget)
                f.linkname = truncateUTF8(target[...], 100)
            }
        }
        f.mode = Int64(meta.mode & 0o7777)
        if Int64(meta.uid) <= maxOctal7 { f.uid = Int64(meta.uid) } else { records += paxRecord("uid", String(meta.uid)) }
        if Int64(meta.gid) <= maxOctal7 { f.gid = Int64(meta.gid) } else { records += paxRecord("gid", String(meta.gid)) }
        let uname = Array(meta.uname.utf8)
        if uname.count <= 32 { f.uname = uname[...] } else { records += paxRecord("uname", meta.uname) }
        let gname = Array(meta.gname.utf8)
        if gname.count <= 32 { f.gname = gname[...] } else { records += paxRecord("gname", meta.gname) }
        if streaming || meta.mtime < 0 || meta.mtime > maxOctal11 {
            records += paxRecord("mtime", String(meta.mtime))
        }
        f.mtime = min(max(meta.mtime, 0), maxOctal11)
        if streaming {
            let digits = String(size)
            let padded = String(repeating: "0", count: max(0, 20 - digits.count)) + digits
            records += paxRecord("size", padded)
        } else if size > maxOctal11 {
            records += paxRecord("size", String(size))
        }
        f.size = size <= maxOctal11 ? size : 0
        var out: [UInt8] = []
        if !records.isEmpty {
            out += paxBlocks(for: nameBytes, records: records, meta: meta)
        }
        out += ustarBlock(f)
        return out
    }
}

// MARK: - Parsing

/// A parsed 512-byte header block, before pax/GNU records are applied.
struct RawTarHeader {
    var name: [UInt8]
    var mode: Int64
    var uid: Int64
    var gid: Int64
    var size: Int64
    var mtime: Int64
    var typeflag: UInt8
    var linkname: [UInt8]
    var uname: [UInt8]
    var gname: [UInt8]
    var isUstar: Bool
}

enum TarParse {
    static func isZeroBlock(_ b: UnsafeRawBufferPointer) -> Bool {
        for x in b where x != 0 { return false }
        return true
    }

    /// The bytes of a NUL-terminated (or full-width) string field.
    static func field(_ b: UnsafeRawBufferPointer, _ offset: Int, _ width: Int) -> [UInt8] {
        var out: [UInt8] = []
        for i in offset..<(offset + width) {
            if b[i] == 0 { break }
            out.append(b[i])
        }
        return out
    }

    /// A numeric field: octal digits (optionally space/NUL padded) or GNU base-256 (first byte
    /// has the high bit set; 0xFF means negative). nil when malformed or out of range.
    static func number(_ b: UnsafeRawBufferPointer, _ offset: Int, _ width: Int) -> Int64? {
        let first = b[offset]
        if first & 0x80 != 0 {
            var bytes = (offset..<(offset + width)).map { b[$0] }
            let negative = bytes[0] == 0xFF
            if !negative { bytes[0] &= 0x7F }
            // Only values that fit an Int64 are accepted: leading bytes must be sign extension.
            let extra = max(0, bytes.count - 8)
            for k in 0..<extra where bytes[k] != (negative ? 0xFF : 0) { return nil }
            var v: UInt64 = negative ? UInt64.max : 0
            for k in extra..<bytes.count { v = (v << 8) | UInt64(bytes[k]) }
            let signed = Int64(bitPattern: v)
            if negative != (signed < 0) { return nil }
            return signed
        }
        var i = offset
        let end = offset + width
        while i < end && (b[i] == 0x20) { i += 1 }
        var v: Int64 = 0
        while i < end, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "7") {
            let (m, o1) = v.multipliedReportingOverflow(by: 8)
            if o1 { return nil }
            v = m + Int64(b[i] - UInt8(ascii: "0"))
            i += 1
        }
        // What follows the digits may only be spaces and NULs.
        while i < end {
            if b[i] != 0 && b[i] != 0x20 { return nil }
            i += 1
        }
        return v
    }

    /// Parses and checksums a header block.
    /// - Throws: `.corrupt` naming `archive` and the uncompressed `offset`.
    static func header(_ b: UnsafeRawBufferPointer, archive: String, offset: Int64) throws -> RawTarHeader {
        func bad(_ what: String) -> ArchiveError {
            ArchiveError(
                .corrupt,
                "\(archive) is corrupt: invalid tar header at uncompressed offset \(offset) (\(what)) — the archive is damaged; use another copy",
                path: archive, offset: offset)
        }
        guard let stored = number(b, 148, 8) else { throw bad("unreadable checksum") }
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for i in 0..<TarFormat.blockSize {
            let x = (i >= 148 && i < 156) ? UInt8(0x20) : b[i]
            unsigned += Int64(x)
            signed += Int64(Int8(bitPattern: x))
        }
        guard stored == unsigned || stored == signed else { throw bad("checksum mismatch") }
        guard let mode = number(b, 100, 8), let uid = number(b, 108, 8), let gid = number(b, 116, 8),
            let mtime = number(b, 136, 12)
        else { throw bad("unreadable numeric field") }
        guard let size = number(b, 124, 12), size >= 0 else { throw bad("unreadable size") }
        let magic = field(b, 257, 6)
        let isUstar = magic == Array("ustar".utf8) && b[262] == 0
        var name = field(b, 0, 100)
        if isUstar {
            let prefix = field(b, 345, 155)
            if !prefix.isEmpty { name = prefix + [UInt8(ascii: "/")] + name }
        }
        return RawTarHeader(
            name: name, mode: mode, uid: uid, gid: gid, size: size, mtime: mtime, typeflag: b[156],
            linkname: field(b, 157, 100), uname: field(b, 265, 32), gname: field(b, 297, 32), isUstar: isUstar)
    }

    /// Parses pax extended header records into `into` (later records win; an empty value
    /// deletes the key, as POSIX says).
    static func paxRecords(_ data: [UInt8], into: inout [String: String]) -> Bool {
        var i = 0
        while i < data.count {
            if data[i] == 0 { break }  // some writers pad with NULs
            var length = 0
            var j = i
            while j < data.count, data[j] >= UInt8(ascii: "0"), data[j] <= UInt8(ascii: "9") {
                length = length * 10 + Int(data[j] - UInt8(ascii: "0"))
                if length > data.count { return false }
                j += 1
            }
            guard j > i, j < data.count, data[j] == 0x20, length > j - i + 1, i + length <= data.count,
                data[i + length - 1] == UInt8(ascii: "\n")
            else { return false }
            let record = data[(j + 1)..<(i + length - 1)]
            guard let eq = record.firstIndex(of: UInt8(ascii: "=")) else { return false }
            let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
            let value = String(decoding: record[(eq + 1)...], as: UTF8.self)
            if value.isEmpty { into.removeValue(forKey: key) } else { into[key] = value }
            i += length
        }
        return true
    }

    /// A pax decimal value ("123", "-5", "1700000000.25"); the integer part, nil if malformed.
    static func paxInteger(_ s: String) -> Int64? {
        let intPart = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? s
        if intPart.isEmpty || intPart == "-" { return nil }
        return Int64(intPart)
    }
}

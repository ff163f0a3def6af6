import Compression

// Reading a multi-member gzip file (RFC 1952) with a bounded buffer. Member headers and trailers
// are parsed here (all FLG bits; FHCRC checked); the deflate data is inflated raw and each
// member's CRC-32 and ISIZE are verified. Nothing is allocated from a size read in the input.

/// Reads up to `buffer.count` bytes into `buffer`; 0 only at the end of the input.
public typealias ArchiveByteSource = (UnsafeMutableRawBufferPointer) throws -> Int

/// Decompresses a gzip file as one byte stream, member after member.
final class GzipInput {
    private enum State {
        case betweenMembers
        case inMember
        case ended
    }

    /// Where the compressed bytes come from: the file, or a layer over it (decryption).
    private let source: ArchiveByteSource
    private let onDeinit: (() -> Void)?
    /// The name used in messages.
    let name: String
    /// Filled 64 KiB at a time; the spare bytes let the inflater's bit buffer go back in front
    /// of a fresh fill (see `giveBack`).
    private static let readSize = 64 * 1024
    private let input = ByteBlock(capacity: readSize + 16)
    private var inputStart = 0
    private var endOfFile = false
    private let inflater: FastInflateStream
    private var state = State.betweenMembers
    private var members = 0
    private var memberStart: Int64 = 0
    private var crc: UInt32 = 0
    private var length: UInt64 = 0

    /// Bytes read from the file so far.
    private(set) var bytesRead: Int64 = 0

    convenience init(fd: Int32, closeOnDeinit: Bool, name: String) throws {
        try self.init(
            source: { try Sys.readSome(fd, into: $0, path: name) }, onDeinit: closeOnDeinit ? { Sys.closeQuietly(fd) } : nil,
            name: name)
    }

    init(source: @escaping ArchiveByteSource, onDeinit: (() -> Void)?, name: String) throws {
        self.source = source
        self.onDeinit = onDeinit
        self.name = name
        inflater = FastInflateStream()
    }

    deinit {
        onDeinit?()
    }

    /// The file offset of the next unconsumed byte.
    private var position: Int64 { bytesRead - Int64(input.count - inputStart) }

    private func truncated(_ what: String) -> ArchiveError {
        ArchiveError(
            .truncated,
            "\(name) is truncated: it ends \(what) at byte \(position) — the file was cut short (incomplete copy or download, or the disk filled up while writing); use another copy",
            path: name, offset: position)
    }

    private func corrupt(_ what: String, at offset: Int64? = nil) -> ArchiveError {
        let at = offset ?? position
        return ArchiveError(
            .corrupt, "\(name) is corrupt: \(what) at byte \(at) — the archive is damaged; use another copy",
            path: name, offset: at)
    }

    // MARK: Input buffer

    /// Reads more input when the buffer is used up. Returns false at end of file.
    private func fill() throws -> Bool {
        if inputStart < input.count { return true }
        if endOfFile { return false }
        inputStart = 0
        input.count = 0
        let n = try source(UnsafeMutableRawBufferPointer(start: input.pointer, count: Self.readSize))
        if n == 0 {
            endOfFile = true
            return false
        }
        input.count = n
        bytesRead += Int64(n)
        return true
    }

    /// Puts bytes taken from the input back in front of it (the inflater read them past the end
    /// of the deflate data). They are the last bytes consumed, so while they are still in the
    /// buffer it only steps back; otherwise (they came from the fill before) they go in front.
    private func giveBack(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if inputStart >= bytes.count {
            inputStart -= bytes.count
        } else {
            let rest = input.count - inputStart
            (input.pointer + bytes.count).copyMemory(from: input.pointer + inputStart, byteCount: rest)
            input.count = bytes.count + rest
            inputStart = 0
        }
        bytes.withUnsafeBytes { (input.pointer + inputStart).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    private func nextByte() throws -> UInt8? {
        guard try fill() else { return nil }
        let b = input.pointer.load(fromByteOffset: inputStart, as: UInt8.self)
        inputStart += 1
        return b
    }

    // MARK: Members

    /// Parses a member header; the first byte (already known to exist) is not yet consumed.
    private func readHeader() throws {
        memberStart = position
        var headerCRC: UInt32 = 0
        func byte(_ what: String) throws -> UInt8 {
            guard let b = try nextByte() else { throw truncated("inside a gzip member header (\(what))") }
            withUnsafeBytes(of: b) { headerCRC = Checksum.crc32($0, seed: headerCRC) }
            return b
        }
        let id1 = try byte("magic"), id2 = try byte("magic")
        guard id1 == 0x1F && id2 == 0x8B else {
            if members == 0 {
                throw ArchiveError(
                    .corrupt, "\(name) is not a gzip file (it does not start with 1f 8b) — is it a .tar.gz archive?",
                    path: name, offset: memberStart)
            }
            throw corrupt("unexpected data after the end of gzip member \(members)", at: memberStart)
        }
        let method = try byte("method")
        guard method == 8 else {
            throw ArchiveError(
                .unsupported, "\(name) uses gzip compression method \(method), not deflate; it cannot be read",
                path: name, offset: memberStart + 2)
        }
        let flags = try byte("flags")
        guard flags & 0xE0 == 0 else { throw corrupt("reserved gzip header flags set", at: memberStart + 3) }
        for _ in 0..<6 { _ = try byte("mtime/xfl/os") }
        if flags & 0x04 != 0 {  // FEXTRA
            let lo = try byte("extra length"), hi = try byte("extra length")
            let extraLength = Int(lo) | Int(hi) << 8
            for _ in 0..<extraLength { _ = try byte("extra field") }
        }
        if flags & 0x08 != 0 {  // FNAME
            while try byte("file name") != 0 {}
        }
        if flags & 0x10 != 0 {  // FCOMMENT
            while try byte("comment") != 0 {}
        }
        if flags & 0x02 != 0 {  // FHCRC: low 16 bits of the CRC-32 of the header so far
            let expected = UInt16(truncatingIfNeeded: headerCRC)
            guard let lo = try nextByte(), let hi = try nextByte() else {
                throw truncated("inside a gzip member header (header CRC)")
            }
            guard UInt16(lo) | UInt16(hi) << 8 == expected else {
                throw corrupt("gzip header CRC mismatch", at: memberStart)
            }
        }
        inflater.reset()
        crc = 0
        length = 0
        members += 1
        state = .inMember
    }

    private func readTrailer() throws {
        var t = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 {
            guard let b = try nextByte() else { throw truncated("inside a gzip member trailer") }
            t[i] = b
        }
        let storedCRC = UInt32(t[0]) | UInt32(t[1]) << 8 | UInt32(t[2]) << 16 | UInt32(t[3]) << 24
        let storedSize = UInt32(t[4]) | UInt32(t[5]) << 8 | UInt32(t[6]) << 16 | UInt32(t[7]) << 24
        guard storedCRC == crc else {
            throw corrupt(
                "CRC-32 mismatch in gzip member \(members) (starting at byte \(memberStart)): content changed",
                at: position - 8)
        }
        guard storedSize == UInt32(truncatingIfNeeded: length) else {
            throw corrupt("length mismatch in gzip member \(members) (starting at byte \(memberStart))", at: position - 4)
        }
        state = .betweenMembers
    }

    /// After the last member only zero bytes may follow (some tools pad files to a block size).
    private func consumeTrailingZeros() throws {
        while try fill() {
            let chunk = UnsafeRawBufferPointer(start: input.pointer + inputStart, count: input.count - inputStart)
            if let i = chunk.firstIndex(where: { $0 != 0 }) {
                inputStart += i
                throw corrupt("unexpected non-zero data after the last gzip member")
            }
            inputStart = input.count
        }
    }

    // MARK: Reading

    /// Decompresses into `out`; returns the bytes produced, 0 only at the end of the last member.
    /// - Throws: `.truncated`, `.corrupt`, `.unsupported`, `.io`.
    func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        precondition(out.count > 0)
        var produced = 0
        while produced < out.count {
            switch state {
            case .ended:
                return produced
            case .betweenMembers:
                if produced > 0 { return produced }  // do not read ahead past what was asked
                guard try fill() else {
                    if members == 0 {
                        throw ArchiveError(.truncated, "\(name) is empty — it is not a complete archive", path: name, offset: 0)
                    }
                    state = .ended
                    return 0
                }
                if members > 0 && input.pointer.load(fromByteOffset: inputStart, as: UInt8.self) == 0 {
                    try consumeTrailingZeros()
                    state = .ended
                    return 0
                }
                try readHeader()
            case .inMember:
                guard try fill() else { throw truncated("inside gzip member \(members) (compressed data)") }
                let available = UnsafeRawBufferPointer(start: input.pointer + inputStart, count: input.count - inputStart)
                let target = UnsafeMutableRawBufferPointer(rebasing: out[produced...])
                let step = inflater.step(available, target)
                inputStart += step.consumed
                if step.produced > 0 {
                    length += UInt64(step.produced)
                    produced += step.produced
                }
                switch step.result {
                case .streamEnd:
                    crc = inflater.crc
                    giveBack(inflater.unusedBytes())
                    try readTrailer()
                case .dataError(let reason):
                    throw corrupt("invalid deflate data in gzip member \(members) (\(reason))")
                case .progress:
                    if step.consumed == 0 && step.produced == 0 {
                        // Input and output space were both available: zlib must progress.
                        throw corrupt("undecodable deflate data in gzip member \(members)")
                    }
                }
            }
        }
        return produced
    }
}

// The only file that calls zlib. Every zlib result is turned into a Swift value or a thrown
// CompressionError here: Z_DATA_ERROR is bad input (the world), Z_STREAM_ERROR is our own misuse
// (a bug, so it traps). Users map CompressionError to their own error type (ArchiveWriter to
// ArchiveError, PGDump to DumpError).
internal import CZlib

// MARK: - Checksums

/// CRC-32 as used by gzip and zip (polynomial 0xEDB88320).
public enum Checksum {
    /// The CRC-32 of `bytes`, continuing from `seed` (the CRC of the bytes before; 0 to start).
    /// Wraps zlib's `crc32`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return seed }
        var crc = uLong(seed)
        var left = bytes.count
        while left > 0 {
            // zlib takes a 32-bit length.
            let chunk = min(left, 1 << 30)
            crc = CZlib.crc32(crc, base, uInt(chunk))
            base += chunk
            left -= chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// The CRC-32 of `bytes`, continuing from `seed`.
    public static func crc32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, seed: seed) }
    }

    /// The CRC-32 of A followed by B, from the CRC of A, the CRC of B and B's length.
    /// Wraps zlib's `crc32_combine`.
    public static func crc32Combine(_ crcA: UInt32, _ crcB: UInt32, lengthOfB: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(uLong(crcA), uLong(crcB), .init(lengthOfB)))
    }
}

// MARK: - Owned byte buffers

/// A fixed-capacity heap buffer owned by one object (freed in deinit). Used for compression blocks
/// so that copies are plain `memcpy`s, fast even in debug builds.
public final class ByteBlock {
    public let pointer: UnsafeMutableRawPointer
    public let capacity: Int
    public var count = 0

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        self.pointer = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { pointer.deallocate() }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }
    public var freeSpace: Int { capacity - count }

    /// Appends as much of `source` as fits; returns how many bytes were taken.
    public func append(_ source: UnsafeRawBufferPointer) -> Int {
        let n = min(freeSpace, source.count)
        if n > 0, let base = source.baseAddress {
            (pointer + count).copyMemory(from: base, byteCount: n)
            count += n
        }
        return n
    }
}

// MARK: - Raw deflate (writer workers)

/// One raw-deflate (no zlib/gzip framing) compressor. Its `z_stream` lives at one heap address
/// for the object's whole life, as zlib requires; `deflateReset` between blocks.
public final class BlockDeflater {
    private let strm: UnsafeMutablePointer<z_stream>

    /// - Throws: `.outOfMemory` when zlib cannot allocate its state.
    public init(level: Int32) throws {
        strm = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        strm.initialize(to: z_stream())
        // windowBits -15: raw deflate, 32 KiB window; memLevel 8 is zlib's default.
        let rc = czlib_deflateInit2(strm, level, -15, 8, Z_DEFAULT_STRATEGY)
        guard rc == Z_OK else {
            strm.deinitialize(count: 1)
            strm.deallocate()
            if rc == Z_MEM_ERROR {
                throw CompressionError(.outOfMemory, "out of memory while setting up compression — free memory or use fewer workers")
            }
            preconditionFailure("deflateInit2 failed with \(rc) (level \(level))")
        }
    }

    deinit {
        deflateEnd(strm)
        strm.deinitialize(count: 1)
        strm.deallocate()
    }

    /// Compresses `input` as one pigz-style block: a fresh deflate state primed with
    /// `dictionary` (the previous 32 KiB of the member, or nil for a member's first block),
    /// ended with Z_SYNC_FLUSH so that blocks concatenate on byte boundaries. The result does not
    /// depend on which deflater ran it, which makes the output deterministic.
    public func compressBlock(_ input: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer?) -> ByteBlock {
        var rc = deflateReset(strm)
        precondition(rc == Z_OK, "deflateReset failed with \(rc)")
        if let dictionary, dictionary.count > 0, let base = dictionary.baseAddress {
            rc = deflateSetDictionary(strm, base.assumingMemoryBound(to: UInt8.self), uInt(dictionary.count))
            precondition(rc == Z_OK, "deflateSetDictionary failed with \(rc)")
        }
        // deflateBound covers Z_FINISH; a sync flush adds at most an empty stored block (5 bytes)
        // plus a few bits. Grow if it is ever not enough.
        var out = ByteBlock(capacity: Int(deflateBound(strm, uLong(input.count))) + 64)
        strm.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        strm.pointee.avail_in = uInt(input.count)
        while true {
            strm.pointee.next_out = (out.pointer + out.count).assumingMemoryBound(to: UInt8.self)
            strm.pointee.avail_out = uInt(out.freeSpace)
            rc = deflate(strm, Z_SYNC_FLUSH)
            precondition(rc == Z_OK || rc == Z_BUF_ERROR, "deflate failed with \(rc)")
            out.count = out.capacity - Int(strm.pointee.avail_out)
            if strm.pointee.avail_out > 0 && strm.pointee.avail_in == 0 { break }
            let bigger = ByteBlock(capacity: out.capacity * 2)
            _ = bigger.append(out.bytes)
            out = bigger
        }
        strm.pointee.next_in = nil
        strm.pointee.next_out = nil
        return out
    }
}

// MARK: - Inflate

/// The outcome of one `InflateStream.step`.
public enum InflateStep {
    /// Progress was made; more input or output space is needed to go on.
    case progress
    /// The end of the deflate stream was reached.
    case streamEnd
    /// The input is not valid compressed data; the text is zlib's reason.
    case dataError(String)
}

/// One inflate state (raw deflate or zlib format) at a fixed heap address.
public final class InflateStream {
    private let strm: UnsafeMutablePointer<z_stream>

    /// `windowBits` -15 for raw deflate (inside gzip members we parse ourselves), 15 for the zlib
    /// format (RFC 1950).
    /// - Throws: `.outOfMemory` when zlib cannot allocate its state.
    public init(windowBits: Int32) throws {
        strm = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        strm.initialize(to: z_stream())
        let rc = czlib_inflateInit2(strm, windowBits)
        guard rc == Z_OK else {
            strm.deinitialize(count: 1)
            strm.deallocate()
            if rc == Z_MEM_ERROR {
                throw CompressionError(.outOfMemory, "out of memory while setting up decompression — free memory and retry")
            }
            preconditionFailure("inflateInit2 failed with \(rc)")
        }
    }

    deinit {
        inflateEnd(strm)
        strm.deinitialize(count: 1)
        strm.deallocate()
    }

    /// Starts a new stream with the same settings. Wraps `inflateReset`.
    public func reset() {
        let rc = inflateReset(strm)
        precondition(rc == Z_OK, "inflateReset failed with \(rc)")
    }

    /// Inflates from `input` into `output`; reports how much of each was used.
    /// - Throws: `.outOfMemory` if zlib runs out of memory.
    public func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws
        -> (consumed: Int, produced: Int, result: InflateStep)
    {
        strm.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        strm.pointee.avail_in = uInt(input.count)
        strm.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        strm.pointee.avail_out = uInt(output.count)
        let rc = inflate(strm, Z_NO_FLUSH)
        let consumed = input.count - Int(strm.pointee.avail_in)
        let produced = output.count - Int(strm.pointee.avail_out)
        strm.pointee.next_in = nil
        strm.pointee.next_out = nil
        switch rc {
        case Z_OK, Z_BUF_ERROR:
            return (consumed, produced, .progress)
        case Z_STREAM_END:
            return (consumed, produced, .streamEnd)
        case Z_DATA_ERROR:
            let reason = strm.pointee.msg.map { String(cString: $0) } ?? "invalid compressed data"
            return (consumed, produced, .dataError(reason))
        case Z_NEED_DICT:
            return (consumed, produced, .dataError("stream needs a preset dictionary"))
        case Z_MEM_ERROR:
            throw CompressionError(.outOfMemory, "out of memory while decompressing — free memory and retry")
        default:
            preconditionFailure("inflate failed with \(rc)")
        }
    }
}

// MARK: - Public zlib-format inflater

/// Decompresses one zlib-format stream (RFC 1950: 2-byte header, deflate data, Adler-32), as
/// found in the data blocks of stock `pg_dump -Fc` archives. Not for gzip.
public final class ZlibInflater {
    private let stream: InflateStream
    private let scratch = ByteBlock(capacity: 64 * 1024)
    /// True once the end of the stream (and its Adler-32 check) has been reached.
    public private(set) var isFinished = false
    /// Bytes of input given after the end of the stream (ignored by `inflate`).
    public private(set) var trailingInputCount = 0

    /// - Throws: `.outOfMemory` when zlib cannot allocate its state.
    public init() throws {
        stream = try InflateStream(windowBits: 15)
    }

    /// Feeds compressed bytes; decompressed bytes are handed to `output` in chunks of up to
    /// 64 KiB (each buffer is valid only during the call). Returns true once the stream has
    /// ended; input after the end is not decompressed and is counted in `trailingInputCount`.
    /// - Throws: `.corrupt` on invalid data or a wrong Adler-32; whatever `output` throws.
    @discardableResult
    public func inflate(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        var offset = 0
        if isFinished {
            trailingInputCount += input.count
            return true
        }
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            let out = UnsafeMutableRawBufferPointer(start: scratch.pointer, count: scratch.capacity)
            let (consumed, produced, result) = try stream.step(rest, out)
            offset += consumed
            if produced > 0 {
                try output(UnsafeRawBufferPointer(start: scratch.pointer, count: produced))
            }
            switch result {
            case .streamEnd:
                isFinished = true
                trailingInputCount += input.count - offset
                return true
            case .dataError(let reason):
                throw CompressionError(.corrupt, "compressed (zlib) data is corrupt: \(reason)")
            case .progress:
                // Done with this input once it is all consumed and the output was not full
                // (a full output may hide more pending output).
                if offset == input.count && produced < scratch.capacity { return false }
                if consumed == 0 && produced == 0 { return false }
            }
        }
    }

    /// Makes the inflater ready for a new, independent zlib stream.
    public func reset() {
        stream.reset()
        isFinished = false
        trailingInputCount = 0
    }
}

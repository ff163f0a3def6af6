import CISAL

/// Raw deflate (RFC 1951) decompression with Intel ISA-L, for the gzip members the archive
/// reader parses itself. It computes the CRC-32 of what it produces as it goes.
///
/// Why not zlib here: reading the archive is on the restore's critical path, and the restore
/// shares two cores with the server parsing rows. Inflating the bench's 444 MB of COPY text
/// took zlib about 0.6 s of CPU and takes ISA-L about 0.25 s, CRC included. The archive is
/// still written with zlib (ArchiveWriter), and pg_dump's zlib-format blocks still read with
/// `ZlibInflater`.
public final class FastInflateStream {
    private let state: UnsafeMutablePointer<inflate_state>
    private var finished = false
    /// Set by the first error: ISA-L's state is not to be used after one.
    private var failure: String?

    public init() {
        state = UnsafeMutablePointer<inflate_state>.allocate(capacity: 1)
        reset()
    }

    deinit {
        state.deallocate()
    }

    /// Starts a new stream.
    public func reset() {
        isal_inflate_init(state)
        failure = nil
        // Raw deflate, no header or trailer read, CRC-32 (gzip's) of the output kept in `crc`.
        state.pointee.crc_flag = UInt32(ISAL_GZIP_NO_HDR)
        finished = false
    }

    /// The CRC-32 of the output so far (final once the stream has ended).
    public var crc: UInt32 { state.pointee.crc }

    /// Inflates from `input` into `output`; reports how much of each was used. `input` must
    /// start with what the call before left unconsumed, all of it (GzipInput passes its whole
    /// remaining buffer): offered less, ISA-L 2.30 misread valid streams in a C harness
    /// (Fixtures/isal/README.md), while fed this way it matched zlib byte for byte. At `.streamEnd`
    /// some bytes after the deflate data may have been taken into the bit buffer and counted in
    /// `consumed`: `unusedBytes()` gives them back.
    public func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int, result: InflateStep)
    {
        if let failure { return (0, 0, .dataError(failure)) }
        if finished { return (0, 0, .streamEnd) }
        let inCount = UInt32(clamping: input.count)
        let outCount = UInt32(clamping: output.count)
        state.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        state.pointee.avail_in = inCount
        state.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        state.pointee.avail_out = outCount
        let rc = isal_inflate(state)
        let leftIn = state.pointee.avail_in, leftOut = state.pointee.avail_out
        state.pointee.next_in = nil
        state.pointee.next_out = nil
        // On some invalid data ISA-L 2.30 returns an error with avail_in wrapped below zero:
        // never trust counts beyond what was given.
        guard leftIn <= inCount, leftOut <= outCount else {
            failure = "undecodable data (ISA-L error \(rc))"
            return (Int(inCount), 0, .dataError(failure!))
        }
        let consumed = Int(inCount - leftIn)
        let produced = Int(outCount - leftOut)
        switch rc {
        case ISAL_DECOMP_OK, ISAL_END_INPUT, ISAL_OUT_OVERFLOW:
            if state.pointee.block_state == ISAL_BLOCK_FINISH {
                finished = true
                return (consumed, produced, .streamEnd)
            }
            return (consumed, produced, .progress)
        case ISAL_INVALID_BLOCK:
            failure = "invalid block"
        case ISAL_INVALID_SYMBOL:
            failure = "invalid code"
        case ISAL_INVALID_LOOKBACK:
            failure = "invalid distance too far back"
        case ISAL_NEED_DICT:
            failure = "stream needs a preset dictionary"
        default:
            failure = "undecodable data (ISA-L error \(rc))"
        }
        return (consumed, produced, .dataError(failure!))
    }

    /// After `.streamEnd`: the whole bytes ISA-L read past the end of the deflate data (at most
    /// eight, in input order), which belong to what follows (a gzip trailer).
    public func unusedBytes() -> [UInt8] {
        guard finished else { return [] }
        let bits = Int(state.pointee.read_in_length)
        guard bits >= 8 else { return [] }
        // The bits of the last deflate byte that were not used come first; whole bytes follow.
        let aligned = state.pointee.read_in >> UInt64(bits % 8)
        return (0..<(bits / 8)).map { UInt8(truncatingIfNeeded: aligned >> UInt64(8 * $0)) }
    }
}

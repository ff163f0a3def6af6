// The gzip side of the writer: a sequence of gzip members in one file.
//
// Data members are compressed pigz-style: the member's bytes are cut into blocks, each block is
// raw-deflated on a worker thread with the previous 32 KiB as preset dictionary and ended with
// Z_SYNC_FLUSH (so blocks join on byte boundaries); the caller's thread writes finished blocks
// strictly in order and merges their CRC-32s with crc32_combine. The result depends only on the
// bytes written, never on the number of workers or on timing.
//
// Stored members hold regions rewritten at the end (pwrite): stored deflate blocks have a fixed
// layout for a given length, so new bytes of the same length fit exactly.
import Compression
import Foundation

// MARK: - Worker pool

/// One block of work: input in, compressed output and CRC-32 out.
final class CompressionJob {
    let sequence: Int
    let input: ByteBlock
    let dictionary: ByteBlock?
    var output: ByteBlock?
    var crc: UInt32 = 0

    init(sequence: Int, input: ByteBlock, dictionary: ByteBlock?) {
        self.sequence = sequence
        self.input = input
        self.dictionary = dictionary
    }

    func run(_ deflater: BlockDeflater) {
        crc = Checksum.crc32(input.bytes)
        output = deflater.compressBlock(input.bytes, dictionary: dictionary?.bytes)
    }
}

/// N threads, each with its own deflater, taking jobs from a FIFO queue.
// @unchecked: queue, done and flags are only touched under `condition`; a job (and its buffers) belongs to one thread at a time.
final class CompressionPool: @unchecked Sendable {
    private let condition = NSCondition()
    /// One per worker, used only by that worker's thread.
    private let deflaters: [BlockDeflater]
    private var queue: [CompressionJob] = []
    private var done: [Int: CompressionJob] = [:]
    private var stopping = false
    private var running = 0

    /// - Throws: `.io` when zlib cannot allocate a deflater.
    init(level: Int32, workers: Int) throws {
        deflaters = try ArchiveError.mapping { try (0..<workers).map { _ in try BlockDeflater(level: level) } }
        running = workers
        for index in deflaters.indices {
            let thread = Thread { [self] in self.work(self.deflaters[index]) }
            thread.name = "archive-deflate-\(index)"
            thread.start()
        }
    }

    private func work(_ deflater: BlockDeflater) {
        condition.lock()
        while true {
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping { break }
            let job = queue.removeFirst()
            condition.unlock()
            job.run(deflater)
            condition.lock()
            done[job.sequence] = job
            condition.broadcast()
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    func submit(_ job: CompressionJob) {
        condition.lock()
        queue.append(job)
        condition.broadcast()
        condition.unlock()
    }

    /// The finished job `sequence`, waiting for it.
    func wait(for sequence: Int) -> CompressionJob {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let job = done.removeValue(forKey: sequence) { return job }
            precondition(!stopping, "waiting for a block after the pool stopped")
            condition.wait()
        }
    }

    /// The finished job `sequence` if it is ready.
    func poll(_ sequence: Int) -> CompressionJob? {
        condition.lock()
        defer { condition.unlock() }
        return done.removeValue(forKey: sequence)
    }

    /// Stops the workers (a block being compressed is finished first) and waits for them.
    /// Queued jobs are dropped. Idempotent.
    func stop() {
        condition.lock()
        stopping = true
        queue.removeAll()
        condition.broadcast()
        while running > 0 { condition.wait() }
        done.removeAll()
        condition.unlock()
    }
}

// MARK: - Gzip output

/// Where a stored member sits in the file, to rewrite it later.
struct StoredMemberLocation {
    var fileOffset: Int64
    var contentLength: Int
}

enum GzipFormat {
    /// ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=3 (Unix): the same bytes for every member, so
    /// the output is deterministic.
    static let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]
    /// A final, empty, fixed-Huffman deflate block: ends a member whose blocks were sync-flushed.
    static let finalEmptyBlock: [UInt8] = [0x03, 0x00]
    static let maxStoredBlock = 65535

    static func trailer(crc: UInt32, length: UInt64) -> [UInt8] {
        let isize = UInt32(truncatingIfNeeded: length)
        return [
            UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24),
            UInt8(isize & 0xFF), UInt8((isize >> 8) & 0xFF), UInt8((isize >> 16) & 0xFF), UInt8(isize >> 24),
        ]
    }

    /// A whole gzip member holding `content` in stored deflate blocks (BTYPE 00) of at most
    /// 65535 bytes, the last with BFINAL set. Its length depends only on `content.count`.
    static func storedMember(_ content: [UInt8]) -> [UInt8] {
        var out = header
        out.reserveCapacity(header.count + content.count + 5 * (content.count / maxStoredBlock + 1) + 8)
        var start = 0
        repeat {
            let n = min(maxStoredBlock, content.count - start)
            let final = start + n == content.count
            out.append(final ? 0x01 : 0x00)  // BFINAL, BTYPE=00, then pad to the byte boundary
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += content[start..<(start + n)]
            start += n
        } while start < content.count
        out += trailer(crc: Checksum.crc32(content), length: UInt64(content.count))
        return out
    }
}

/// Writes gzip members to a file: compressed data members (parallel) and stored members.
final class GzipOutput {
    let path: String
    private(set) var fd: Int32
    private let blockSize: Int
    private let maxInFlight: Int
    private var pool: CompressionPool?

    /// Bytes handed to the file so far, buffered or not: the next member's file offset.
    private(set) var offset: Int64 = 0
    private let outBuffer = ByteBlock(capacity: 256 * 1024)
    private var writtenToFile: Int64 = 0

    private var memberOpen = false
    private var memberCRC: UInt32 = 0
    private var memberLength: UInt64 = 0
    private var block: ByteBlock
    private let tail = ByteBlock(capacity: 32 * 1024)
    private var nextSequence = 0
    private var nextToEmit = 0

    /// - Throws: `.io` when the file cannot be created or zlib cannot be set up.
    init(path: String, level: Int32, workers: Int, blockSize: Int) throws {
        self.path = path
        self.blockSize = blockSize
        self.maxInFlight = 2 * workers + 2
        self.block = ByteBlock(capacity: blockSize)
        fd = try Sys.createExclusive(path)
        do {
            pool = try CompressionPool(level: level, workers: workers)
        } catch {
            Sys.closeQuietly(fd)
            fd = -1
            throw error
        }
    }

    deinit { close() }

    // MARK: Raw output

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while rest.count > 0 {
            if outBuffer.freeSpace == 0 { try flush() }
            if outBuffer.count == 0 && rest.count >= outBuffer.capacity {
                // Large pieces go straight to the file.
                try Sys.writeAll(fd, rest, path: path, offset: writtenToFile)
                writtenToFile += Int64(rest.count)
                offset += Int64(rest.count)
                return
            }
            let n = outBuffer.append(rest)
            offset += Int64(n)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emit($0) }
    }

    /// Writes buffered bytes to the file.
    func flush() throws {
        guard outBuffer.count > 0 else { return }
        try Sys.writeAll(fd, outBuffer.bytes, path: path, offset: writtenToFile)
        writtenToFile += Int64(outBuffer.count)
        outBuffer.count = 0
    }

    // MARK: Data members

    /// Appends bytes to the current data member (opening one if needed).
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while rest.count > 0 {
            let n = block.append(rest)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if block.freeSpace == 0 { try submitBlock() }
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func submitBlock() throws {
        guard let pool else { preconditionFailure("write after the pool stopped") }
        if !memberOpen {
            try emit(GzipFormat.header)
            memberOpen = true
            memberCRC = 0
            memberLength = 0
            tail.count = 0
        }
        // Bounded memory: wait (writing finished blocks) while too many blocks are in flight.
        while nextSequence - nextToEmit >= maxInFlight {
            try emitJob(pool.wait(for: nextToEmit))
        }
        var dictionary: ByteBlock?
        if tail.count > 0 {
            let copy = ByteBlock(capacity: tail.count)
            _ = copy.append(tail.bytes)
            dictionary = copy
        }
        let job = CompressionJob(sequence: nextSequence, input: block, dictionary: dictionary)
        nextSequence += 1
        updateTail(with: block.bytes)
        block = ByteBlock(capacity: blockSize)
        pool.submit(job)
        while nextToEmit < nextSequence, let ready = pool.poll(nextToEmit) {
            try emitJob(ready)
        }
    }

    /// Keeps the member's last 32 KiB: the next block's dictionary.
    private func updateTail(with bytes: UnsafeRawBufferPointer) {
        if bytes.count >= tail.capacity {
            tail.count = 0
            _ = tail.append(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - tail.capacity)...]))
            return
        }
        let keep = min(tail.count, tail.capacity - bytes.count)
        if keep < tail.count {
            (tail.pointer).copyMemory(from: tail.pointer + (tail.count - keep), byteCount: keep)
            tail.count = keep
        }
        _ = tail.append(bytes)
    }

    private func emitJob(_ job: CompressionJob) throws {
        precondition(job.sequence == nextToEmit)
        nextToEmit += 1
        guard let output = job.output else { preconditionFailure("job without output") }
        try emit(output.bytes)
        memberCRC = Checksum.crc32Combine(memberCRC, job.crc, lengthOfB: Int64(job.input.count))
        memberLength += UInt64(job.input.count)
    }

    /// Ends the current data member, if one is open or has pending bytes: last block, wait for
    /// all blocks, the final empty block, the trailer.
    func closeDataMember() throws {
        if block.count > 0 { try submitBlock() }
        guard memberOpen, let pool else { return }
        while nextToEmit < nextSequence {
            try emitJob(pool.wait(for: nextToEmit))
        }
        try emit(GzipFormat.finalEmptyBlock)
        try emit(GzipFormat.trailer(crc: memberCRC, length: memberLength))
        memberOpen = false
    }

    // MARK: Stored members

    /// Closes the data member, then writes `content` as a stored member; returns where it is.
    func writeStoredMember(_ content: [UInt8]) throws -> StoredMemberLocation {
        try closeDataMember()
        let location = StoredMemberLocation(fileOffset: offset, contentLength: content.count)
        try emit(GzipFormat.storedMember(content))
        return location
    }

    /// Rewrites a stored member in place with new content of the same length. Call after `flush`.
    func rewriteStoredMember(_ location: StoredMemberLocation, content: [UInt8]) throws {
        precondition(content.count == location.contentLength, "stored member length changed")
        precondition(location.fileOffset < writtenToFile, "rewrite before flush")
        let bytes = GzipFormat.storedMember(content)
        try bytes.withUnsafeBytes { try Sys.pwriteAll(fd, $0, at: location.fileOffset, path: path) }
    }

    // MARK: End

    /// Stops the workers. Idempotent.
    func stopWorkers() {
        pool?.stop()
        pool = nil
    }

    /// fsyncs and closes the file.
    func syncAndClose() throws {
        try flush()
        try Sys.sync(fd, path: path)
        let f = fd
        fd = -1
        try Sys.closeChecked(f, path: path)
    }

    /// Stops workers and closes the file without flushing. Idempotent.
    func close() {
        stopWorkers()
        if fd >= 0 {
            Sys.closeQuietly(fd)
            fd = -1
        }
    }
}

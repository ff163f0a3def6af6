import Foundation
import PGWire

/// Loads one table's COPY text over several connections at once.
///
/// A single `COPY ... FROM STDIN` keeps one server core busy parsing rows (jsonb, timestamps)
/// while the others idle; that, not the client, is what bounds a restore. Here the archive is
/// still read once and in order, cut into chunks of whole rows, and each chunk goes to the
/// connection with the fewest chunks waiting, so the connections' backends parse and insert in
/// parallel.
///
/// The backends fill the table together, so chunks loaded at the same moment share a stretch of
/// heap pages: physical row order is kept to within a couple of chunks (`pg_stats.correlation`
/// stays near ±1), which is why chunks are small. Tables whose physical order is the point load
/// on one connection instead (see `RestoreEngine.keepsPhysicalOrder`).
final class ParallelCopyIn {
    private let connections: [Connection]
    private let chunkSize: Int

    init(connections: [Connection], chunkSize: Int = 1 << 20) {
        precondition(!connections.isEmpty)
        self.connections = connections
        self.chunkSize = max(chunkSize, 1024)
    }

    /// Runs `copy` on as many connections as the data needs and feeds them what `read` yields.
    /// With `binary` (the table's COPY in binary form and the encoder for its columns), each
    /// chunk of whole rows the encoder converts goes as binary COPY; a chunk it cannot convert
    /// goes as the text it is, in a text COPY of its own, so the server reads it as before.
    /// `onData` sees every piece as it is read (for progress).
    /// - Returns: the rows the servers report, summed, and the chunks sent in each format.
    /// - Throws: the first failure, a connection's (the server's error) or `read`'s (a damaged
    ///   archive). The COPYs still open are then ended with an error; one that had already
    ///   ended stays committed, so a failed table is left partly loaded, as a failed pg_restore
    ///   leaves it (the staging restore drops the database).
    func load(
        _ copy: String,
        binary: (copy: String, encoder: CopyBinaryEncoder)? = nil,
        from read: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void,
        onData: @escaping (UnsafeRawBufferPointer) -> Void = { _ in }
    ) throws -> (rows: Int64, chunks: CopyChunks) {
        let lanes = Lanes(count: connections.count)
        let group = DispatchGroup()
        var started = [Bool](repeating: false, count: connections.count)

        func start(_ lane: Int) {
            started[lane] = true
            group.enter()
            let connection = connections[lane]
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let rows = try Self.feed(connection, lane: lane, lanes: lanes, text: copy, binary: binary)
                    lanes.add(rows: rows)
                } catch {
                    lanes.fail(error)
                }
            }
        }

        var pending: [UInt8] = []
        pending.reserveCapacity(chunkSize)
        // A row longer than a chunk is sent in pieces, all on one connection.
        var stickTo: Int?

        func dispatch(_ chunk: [UInt8], endsRow: Bool) throws {
            let lane = try lanes.push(Chunk(bytes: chunk, wholeRows: stickTo == nil && endsRow), to: stickTo)
            if !started[lane] { start(lane) }
            stickTo = endsRow ? nil : lane
        }

        do {
            try read { bytes in
                onData(bytes)
                var rest = bytes
                while !rest.isEmpty {
                    let n = min(rest.count, chunkSize - pending.count)
                    pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<n]))
                    rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                    guard pending.count == chunkSize else { continue }
                    let rowsEnd = pending.lastIndex(of: 0x0A).map { $0 + 1 }
                    if let end = rowsEnd {
                        let carry = Array(pending[end...])
                        pending.removeLast(pending.count - end)
                        try dispatch(pending, endsRow: true)
                        pending = carry
                        pending.reserveCapacity(chunkSize)
                    } else {
                        try dispatch(pending, endsRow: false)
                        pending = []
                        pending.reserveCapacity(chunkSize)
                    }
                }
            }
            if !pending.isEmpty || !started.contains(true) {
                // An empty table still gets its COPY, as pg_restore sends it.
                try dispatch(pending, endsRow: true)
            }
            lanes.finish()
        } catch {
            lanes.fail(error)
        }
        group.wait()
        if let failure = lanes.failure { throw failure }
        return (lanes.rows, lanes.chunks)
    }
}

extension ParallelCopyIn {
    /// One connection's part: a COPY per run of chunks in the same format. A chunk the encoder
    /// cannot convert ends the binary COPY and goes in a text COPY, and the next convertible one
    /// starts a binary COPY again. Chunks are at most chunkSize bytes (their binary form a few
    /// times that at worst), so libpq's output buffer stays that small.
    fileprivate static func feed(
        _ connection: Connection, lane: Int, lanes: Lanes, text: String, binary: (copy: String, encoder: CopyBinaryEncoder)?
    ) throws -> Int64 {
        var converted = ByteBuffer()
        /// Converts `chunk` into `converted` when it can go as binary.
        func convert(_ chunk: Chunk?) -> Bool {
            guard let chunk, chunk.wholeRows, let binary else { return false }
            converted.truncate(to: 0)
            return chunk.bytes.withUnsafeBytes { binary.encoder.encode($0, into: &converted) }
        }
        var next = try lanes.pop(lane)
        var nextIsBinary = convert(next)
        var rows: Int64 = 0
        // The first COPY runs even with no chunk, so an empty table still gets its COPY.
        repeat {
            let format = nextIsBinary
            lanes.startedCopy()
            rows += Int64(try connection.copyIn(format ? binary!.copy : text) { writer in
                if format { try writer.write(CopyBinaryEncoder.header) }
                while let chunk = next, nextIsBinary == format {
                    if format {
                        try writer.write(converted.bytes)
                    } else {
                        try chunk.bytes.withUnsafeBytes { try writer.write($0) }
                    }
                    lanes.sent(binary: format)
                    next = try lanes.pop(lane)
                    nextIsBinary = convert(next)
                }
                if format { try writer.write(CopyBinaryEncoder.trailer) }
            })
        } while next != nil
        return rows
    }
}

/// A piece of a table's COPY text. `wholeRows`: it starts and ends on a row boundary, so it
/// can be converted on its own.
private struct Chunk {
    var bytes: [UInt8]
    var wholeRows: Bool
}

/// The chunks waiting for each connection, and how the load ends.
// @unchecked: vars change only under `condition` (its waits need NSCondition, not Mutex); read bare only after the workers end.
fileprivate final class Lanes: @unchecked Sendable {
    /// Chunks queued per connection: enough to keep each busy, few enough to bound memory.
    private static let depth = 2

    private let condition = NSCondition()
    private var queues: [[Chunk]]
    private var next = 0
    private var done = false
    private(set) var failure: Error?
    private(set) var rows: Int64 = 0
    private(set) var chunks = CopyChunks()

    /// Thrown into the other connections' COPYs when one fails; never reported.
    struct Stopped: Error {}

    init(count: Int) { queues = Array(repeating: [], count: count) }

    /// Queues a chunk on `lane`, or on the connection with the fewest chunks waiting; waits
    /// while they are full. Returns the lane used.
    func push(_ chunk: Chunk, to lane: Int?) throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if failure != nil { throw Stopped() }
            let chosen = lane ?? leastLoaded()
            if queues[chosen].count < Self.depth {
                queues[chosen].append(chunk)
                condition.broadcast()
                return chosen
            }
            condition.wait()
        }
    }

    /// Fewest chunks waiting; ties go round-robin so an idle start spreads over all lanes.
    private func leastLoaded() -> Int {
        var best = next
        for offset in 1..<max(queues.count, 1) {
            let lane = (next + offset) % queues.count
            if queues[lane].count < queues[best].count { best = lane }
        }
        next = (best + 1) % queues.count
        return best
    }

    /// The next chunk for `lane`; nil once the data has ended and the lane is drained.
    func pop(_ lane: Int) throws -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if failure != nil { throw Stopped() }
            if !queues[lane].isEmpty {
                let chunk = queues[lane].removeFirst()
                condition.broadcast()
                return chunk
            }
            if done { return nil }
            condition.wait()
        }
    }

    func finish() {
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }

    func startedCopy() {
        condition.lock()
        chunks.copies += 1
        condition.unlock()
    }

    func sent(binary: Bool) {
        condition.lock()
        if binary { chunks.binary += 1 } else { chunks.text += 1 }
        condition.unlock()
    }

    func add(rows: Int64) {
        condition.lock()
        self.rows += rows
        condition.unlock()
    }

    /// The first real failure wins; the `Stopped` echoes it causes are dropped.
    func fail(_ error: Error) {
        condition.lock()
        if failure == nil && !(error is Stopped) { failure = error }
        condition.broadcast()
        condition.unlock()
    }
}

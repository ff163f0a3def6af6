import Crypto
import Foundation

/// SHA-256 whose hashing runs on a helper thread, so a single-threaded reader (the archive
/// inspection: inflate, tar, dump checks) does not also pay for the hash on its own core.
///
/// `update` copies into 1 MiB buffers (three in all: memory stays bounded) and hands each full
/// one over; inputs under 1 MiB in all never start a thread. Not thread-safe: one caller.
final class PipelinedSHA256 {
    private static let bufferSize = 1 << 20
    private let state = State()
    private var current: UnsafeMutableRawBufferPointer?
    private var used = 0
    private var started = false

    deinit {
        if let current { state.recycle(current) }
        state.stop()
    }

    func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while rest.count > 0 {
            if current == nil {
                current = state.takeFree()
                used = 0
            }
            let n = min(rest.count, Self.bufferSize - used)
            (current!.baseAddress! + used).copyMemory(from: rest.baseAddress!, byteCount: n)
            used += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if used == Self.bufferSize {
                if !started {
                    started = true
                    state.start()
                }
                state.submit(current!, count: used)
                current = nil
            }
        }
    }

    func finalize() -> SHA256.Digest {
        if let current {
            if started {
                state.submit(current, count: used)
            } else {
                state.hashInline(UnsafeRawBufferPointer(rebasing: current[0..<used]))
                state.recycle(current)
            }
            self.current = nil
        }
        return state.finish(started: started)
    }

    // @unchecked: raw buffers; queues and flags change under `condition`, the hasher and each buffer have one user at a time.
    private final class State: @unchecked Sendable {
        private let condition = NSCondition()
        private var free: [UnsafeMutableRawBufferPointer] = []
        private var allocated = 0
        private var queue: [(UnsafeMutableRawBufferPointer, Int)] = []
        private var ending = false
        private var running = false
        private var hasher = SHA256()

        deinit {
            for buffer in free { buffer.deallocate() }
            for (buffer, _) in queue { buffer.deallocate() }
        }

        func takeFree() -> UnsafeMutableRawBufferPointer {
            condition.lock()
            defer { condition.unlock() }
            while free.isEmpty {
                if allocated < 3 {
                    allocated += 1
                    return UnsafeMutableRawBufferPointer.allocate(byteCount: PipelinedSHA256.bufferSize, alignment: 16)
                }
                condition.wait()
            }
            return free.removeLast()
        }

        func recycle(_ buffer: UnsafeMutableRawBufferPointer) {
            condition.lock()
            free.append(buffer)
            condition.broadcast()
            condition.unlock()
        }

        func submit(_ buffer: UnsafeMutableRawBufferPointer, count: Int) {
            condition.lock()
            queue.append((buffer, count))
            condition.broadcast()
            condition.unlock()
        }

        func hashInline(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

        func start() {
            condition.lock()
            running = true
            condition.unlock()
            Thread.detachNewThread { [self] in
                condition.lock()
                while true {
                    while queue.isEmpty && !ending { condition.wait() }
                    if queue.isEmpty { break }
                    let (buffer, count) = queue.removeFirst()
                    condition.unlock()
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    condition.lock()
                    free.append(buffer)
                    condition.broadcast()
                }
                running = false
                condition.broadcast()
                condition.unlock()
            }
        }

        /// Waits for the helper to hash everything submitted, then finalizes.
        func finish(started: Bool) -> SHA256.Digest {
            condition.lock()
            ending = true
            condition.broadcast()
            while running { condition.wait() }
            condition.unlock()
            return hasher.finalize()
        }

        /// Ends the helper without a result (the caller gave up, e.g. on a damaged archive).
        func stop() {
            condition.lock()
            if !ending {
                ending = true
                queue.removeAll { buffer, _ in
                    free.append(buffer)
                    return true
                }
                condition.broadcast()
            }
            condition.unlock()
        }
    }
}

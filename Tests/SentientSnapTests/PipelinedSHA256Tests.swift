import Foundation
import Testing

@testable import SentientSnap

/// The helper-thread SHA-256 of the inspection gives the same digests as a plain one, for sizes
/// around its 1 MiB buffers and odd update sizes, and is safe to drop half-way.
@Suite("pipelined SHA-256", .timeLimit(.minutes(30)))
struct PipelinedSHA256Tests {
    private func reference(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "pipelined-sha-\(UUID().uuidString)"
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return try BackupJob.sha256(ofFile: path)
    }

    @Test(arguments: [0, 1, 65_535, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20, 7 * (1 << 20) + 12_345])
    func matchesAPlainHash(size: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hasher = PipelinedSHA256()
        var offset = 0
        var step = 1
        while offset < bytes.count {
            let n = min(step, bytes.count - offset)
            bytes.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
            offset += n
            step = step * 3 + 7  // 1, 10, 37, ... up to MiBs: splits across buffer boundaries
        }
        #expect(BackupJob.hex(hasher.finalize()) == (try reference(bytes)))
    }

    @Test func droppedUnfinishedDoesNotHang() {
        for _ in 0..<20 {
            let hasher = PipelinedSHA256()
            let chunk = [UInt8](repeating: 7, count: 5 << 20)
            chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            // no finalize: deinit stops the helper thread
        }
    }
}

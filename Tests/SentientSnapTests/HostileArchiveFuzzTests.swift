import Foundation
import SentientSnap
import TestHarness
import Testing

/// Inspects `bytes` as an archive file: it must either be refused as damaged (SnapError 65) or
/// be read as the same archive. Anything else (another error, a crash) fails the test.
private func inspectDamaged(_ bytes: Data, at path: String, original: ArchiveInspection, _ what: String) -> Bool {
    _ = FileManager.default.createFile(atPath: path, contents: bytes)
    do {
        let inspection = try ArchiveInspector.inspect(path)
        #expect(inspection.tableRows == original.tableRows && inspection.manifest == original.manifest, "\(what): accepted but different")
        return false
    } catch let error as SnapError {
        #expect(error.code == .damagedArchive, "\(what): \(error.code) \(error.message)")
        return true
    } catch {
        Issue.record("\(what): unexpected error type \(type(of: error)): \(error)")
        return true
    }
}

@Suite("hostile archives, in-process", .timeLimit(.minutes(30)))
struct HostileArchiveFuzzTests {
    @Test("truncated at every gzip member boundary and every tar block boundary: refused as damaged")
    func truncations() throws {
        let source = try RoomFixture(events: 300, prefix: "fz_trunc")
        let archive = try backup(source)
        let original = try ArchiveInspector.inspect(archive)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        let path = source.dir.path + "/cut.tar.gz"
        // Gzip member starts (1f 8b 08), one byte either side, and every 97th byte.
        var cuts = Set<Int>(stride(from: 0, to: bytes.count, by: 97))
        for i in 0..<(bytes.count - 2) where bytes[i] == 0x1f && bytes[i + 1] == 0x8b && bytes[i + 2] == 0x08 {
            cuts.formUnion([i - 1, i, i + 1].filter { $0 >= 0 })
        }
        cuts.formUnion([bytes.count - 1, bytes.count - 4, bytes.count - 8])
        for cut in cuts.sorted() {
            #expect(inspectDamaged(bytes.prefix(cut), at: path, original: original, "cut at \(cut) of \(bytes.count)"))
        }
        // Tar block boundaries: the uncompressed tar cut at every 512-byte block, recompressed.
        let tar = try runProcess("/bin/sh", ["-c", "gzip -dc '\(archive)' | base64 -w0"])
        let raw = try #require(Data(base64Encoded: tar.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let dir = source.dir.path + "/tarcuts"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let blocks = raw.count / 512
        for block in 0..<blocks { _ = FileManager.default.createFile(atPath: "\(dir)/\(block).tar", contents: raw.prefix(block * 512)) }
        let gz = try runProcess("/bin/sh", ["-c", "cd '\(dir)' && gzip -1 -n *.tar"])
        #expect(gz.succeeded, "\(gz)")
        var refused = 0
        for block in 0..<blocks {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(block).tar.gz"))
            if inspectDamaged(data, at: path, original: original, "tar cut at block \(block) of \(blocks)") { refused += 1 }
        }
        // Only the cut inside the end-of-archive zero blocks may still read as the whole archive.
        #expect(refused >= blocks - 2, "\(refused) of \(blocks) tar cuts refused")
    }

    @Test("random bit flips (a few thousand, time-capped): refused as damaged or read identically, never a crash")
    func bitFlips() throws {
        let source = try RoomFixture(events: 200, prefix: "fz_flip")
        let archive = try backup(source)
        let original = try ArchiveInspector.inspect(archive)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        let path = source.dir.path + "/flip.tar.gz"
        var rng = SplitMix64(seed: 0x5eed_cafe)
        let deadline = Date().addingTimeInterval(25)
        var cases = 0, refused = 0
        while cases < 4000 && Date() < deadline {
            var copy = bytes
            let flips = 1 + Int(rng.next() % 3)
            var where_: [Int] = []
            for _ in 0..<flips {
                let offset = Int(rng.next() % UInt64(copy.count))
                copy[offset] ^= UInt8(1 << (rng.next() % 8))
                where_.append(offset)
            }
            if inspectDamaged(copy, at: path, original: original, "flip at \(where_)") { refused += 1 }
            cases += 1
        }
        print("bit flips: \(cases) cases, \(refused) refused, \(cases - refused) harmless (gzip header fields)")
        #expect(cases >= 2000, "only \(cases) cases ran in the time cap")
        #expect(refused > cases * 9 / 10)
    }
}

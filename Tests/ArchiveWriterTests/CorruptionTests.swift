@testable import ArchiveWriter
import Foundation
import Testing

/// A small archive with every kind of member: stored (reserved, streamed header) and
/// multi-block data members with dictionaries.
func smallArchive(_ url: URL) throws -> [ExpectedEntry] {
    var entries: [ExpectedEntry] = []
    entries.append(ExpectedEntry(meta: TarEntryMetadata(name: "manifest.json", mtime: 5), content: Array("{\"a\":1}".utf8), how: .reserved))
    entries.append(ExpectedEntry(meta: TarEntryMetadata(name: "config", kind: .directory, mode: 0o755, mtime: 6), content: []))
    entries.append(ExpectedEntry(meta: TarEntryMetadata(name: "config/room.yaml", mtime: 7), content: mixedContent(20_000, seed: 31)))
    entries.append(ExpectedEntry(meta: TarEntryMetadata(name: "db/database.dump", mtime: 8), content: mixedContent(9_000, seed: 32), how: .streamed))
    entries.append(ExpectedEntry(meta: TarEntryMetadata(name: "config/l", kind: .symlink(target: "room.yaml"), mode: 0o777, mtime: 9), content: []))
    entries.append(ExpectedEntry(meta: TarEntryMetadata(name: "z.txt", mtime: 10), content: Array("tail\n".utf8)))
    try writeArchive(entries, to: url, options: .init(level: 6, workers: 2, blockSize: 4096))
    return entries
}

/// Reads everything; returns the entries, or the ArchiveError. Any other error fails the test.
func attemptRead(_ path: String) -> Result<[ReadEntry], ArchiveError> {
    do {
        return .success(try readAllEntries(path))
    } catch let error as ArchiveError {
        return .failure(error)
    } catch {
        Issue.record("non-ArchiveError thrown: \(error)")
        return .failure(ArchiveError(.io, "\(error)"))
    }
}

/// A gzip file holding one tar header block declaring `size` bytes (base-256) and `bodyBytes`.
func hugeDeclaredSize(_ dir: URL, typeflag: UInt8, size: Int64, bodyBytes: Int) throws -> URL {
    var f = TarFormat.UstarFields()
    f.name = Array("huge.bin".utf8)[...]
    f.mode = 0o644
    f.typeflag = typeflag
    var block = TarFormat.ustarBlock(f)
    // GNU base-256 size: 0x80 then the value big-endian.
    var field = [UInt8](repeating: 0, count: 12)
    field[0] = 0x80
    var v = UInt64(size)
    for i in stride(from: 11, to: 0, by: -1) {
        field[i] = UInt8(v & 0xFF)
        v >>= 8
    }
    block.replaceSubrange(124..<136, with: field)
    for i in 148..<156 { block[i] = 0x20 }
    let sum = block.reduce(0) { $0 + Int($1) }
    let octal = Array(String(sum, radix: 8).utf8)
    let checksum = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - octal.count) + octal + [0, 0x20]
    block.replaceSubrange(148..<156, with: checksum)
    let tarURL = dir.appendingPathComponent("huge-\(typeflag).tar")
    try writeBytes(block + mixedContent(bodyBytes, seed: 1), to: tarURL)
    let gzURL = dir.appendingPathComponent("huge-\(typeflag).tar.gz")
    try run("gzip", ["-c", "-n", tarURL.path]).stdout.write(to: gzURL)
    return gzURL
}

@Suite("Damaged archives", .timeLimit(.minutes(30)))
struct CorruptionTests {
    @Test("Truncation at any offset is reported as truncated")
    func truncation() throws {
        try withTemporaryDirectory { dir in
            let archive = dir.appendingPathComponent("small.tar.gz")
            _ = try smallArchive(archive)
            let bytes = try readBytes(archive)
            guard case .success = attemptRead(archive.path) else {
                Issue.record("the intact archive does not read")
                return
            }
            var cuts = Array(stride(from: 0, to: bytes.count, by: 97))
            cuts += Array(max(0, bytes.count - 64)..<bytes.count)
            let cut = dir.appendingPathComponent("cut.tar.gz")
            for length in cuts {
                try writeBytes(Array(bytes[0..<length]), to: cut)
                switch attemptRead(cut.path) {
                case .success:
                    Issue.record("archive cut to \(length) of \(bytes.count) bytes read without error")
                case .failure(let error):
                    #expect(error.code == .truncated, "cut at \(length): \(error.code) \(error.message)")
                }
            }
        }
    }

    @Test("A flipped bit anywhere never goes unnoticed when content changes")
    func bitFlips() throws {
        try withTemporaryDirectory { dir in
            let archive = dir.appendingPathComponent("small.tar.gz")
            let entries = try smallArchive(archive)
            let bytes = try readBytes(archive)
            guard case .success(let original) = attemptRead(archive.path) else {
                Issue.record("the intact archive does not read")
                return
            }
            let asWritten = original == expectedReadBack(entries)
            #expect(asWritten, "the intact archive does not read back as written")
            let flipped = dir.appendingPathComponent("flip.tar.gz")
            var detected = 0
            for offset in stride(from: 0, to: bytes.count, by: 5) {
                var damaged = bytes
                damaged[offset] ^= UInt8(1 << (offset % 8))
                try writeBytes(damaged, to: flipped)
                switch attemptRead(flipped.path) {
                case .success(let got):
                    // Only bytes that carry no content (gzip MTIME/XFL/OS, FTEXT) may change silently.
                    let unchanged = got == original  // (not inside #expect: it would print every byte)
                    #expect(unchanged, "bit flip at \(offset) changed content without an error")
                case .failure(let error):
                    detected += 1
                    #expect([.corrupt, .truncated, .unsupported, .tooLarge].contains(error.code),
                            "flip at \(offset): \(error.code)")
                }
            }
            #expect(detected > bytes.count / 5 * 9 / 10)
        }
    }

    @Test("A changed byte in a stored (patched) region is caught by the member's CRC-32")
    func storedRegionFlip() throws {
        try withTemporaryDirectory { dir in
            let archive = dir.appendingPathComponent("small.tar.gz")
            _ = try smallArchive(archive)
            var bytes = try readBytes(archive)
            // Member 1 is the reserved manifest: gzip header (10), stored block header (5),
            // tar header (512), then the content.
            let contentOffset = 10 + 5 + 512
            #expect(bytes[contentOffset] == UInt8(ascii: "{"))
            bytes[contentOffset + 2] ^= 0x20  // "a" -> "A": still valid JSON-ish text
            let damaged = dir.appendingPathComponent("stored.tar.gz")
            try writeBytes(bytes, to: damaged)
            guard case .failure(let error) = attemptRead(damaged.path) else {
                Issue.record("a changed stored byte was not detected")
                return
            }
            #expect(error.code == .corrupt)
            #expect(error.offset != nil)
            #expect(error.message.contains("CRC-32"))
        }
    }

    @Test("A 10 GB declared size in a 1 KB file is an error, not an allocation")
    func hugeDeclaredSizes() throws {
        try withTemporaryDirectory { dir in
            let tenGB: Int64 = 10 * 1024 * 1024 * 1024
            let file = try hugeDeclaredSize(dir, typeflag: UInt8(ascii: "0"), size: tenGB, bodyBytes: 500)
            #expect(try readBytes(file).count < 2048)

            let r1 = try TarGzReader(path: file.path)
            #expect(try r1.next()?.size == tenGB)
            #expect { _ = try r1.readAll(limit: 1 << 20) } throws: { ($0 as? ArchiveError)?.code == .tooLarge }

            let r2 = try TarGzReader(path: file.path)
            _ = try r2.next()
            #expect { _ = try r2.next() } throws: { ($0 as? ArchiveError)?.code == .truncated }

            let r3 = try TarGzReader(path: file.path)
            _ = try r3.next()
            var buffer = [UInt8](repeating: 0, count: 4096)
            #expect {
                while try buffer.withUnsafeMutableBytes({ try r3.read(into: $0) }) > 0 {}
            } throws: { ($0 as? ArchiveError)?.code == .truncated }

            // The same size on a pax header or a GNU long name: refused before reading it.
            for flag in ["x", "L"] {
                let meta = try hugeDeclaredSize(dir, typeflag: UInt8(ascii: Unicode.Scalar(flag)!), size: tenGB, bodyBytes: 500)
                let r = try TarGzReader(path: meta.path)
                #expect { _ = try r.next() } throws: { ($0 as? ArchiveError)?.code == .tooLarge }
            }
        }
    }
}

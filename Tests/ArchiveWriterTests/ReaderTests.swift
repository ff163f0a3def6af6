@testable import ArchiveWriter
import Compression
import Foundation
import TestHarness
import Testing

/// The entries the reader should return for what `writeArchive` wrote.
func expectedReadBack(_ entries: [ExpectedEntry]) -> [ReadEntry] {
    entries.map { entry in
        ReadEntry(metadata: entry.meta, body: entry.how == .reserved ? paddedReserved(entry.content) : entry.content)
    }
}

/// Makes a source tree for GNU tar: a long-named file, a long symlink target, a directory.
func makeSourceTree(_ root: URL) throws -> [String: [UInt8]] {
    let fm = FileManager.default
    var files: [String: [UInt8]] = [:]
    let longDir = "long-" + String(repeating: "d", count: 60)
    let longName = "\(longDir)/" + String(repeating: "n", count: 120) + ".txt"
    try fm.createDirectory(at: root.appendingPathComponent(longDir), withIntermediateDirectories: true)
    files[longName] = mixedContent(100_000, seed: 11)
    files["small/a.txt"] = Array("hello\n".utf8)
    files["small/empty"] = []
    try fm.createDirectory(at: root.appendingPathComponent("small"), withIntermediateDirectories: true)
    for (name, content) in files {
        try writeBytes(content, to: root.appendingPathComponent(name))
    }
    try fm.createSymbolicLink(atPath: root.appendingPathComponent("small/link").path,
                              withDestinationPath: "../" + longName)
    return files
}

/// A tar of `makeSourceTree` cut at the offsets `cuts` gives (from the tar's length), each part
/// gzipped (levels 1 to 9 in turn), the members concatenated. Returns the tree's files too.
func multiMemberGzip(in dir: URL, cuts: (Int) -> [Int]) throws -> (files: [String: [UInt8]], gzip: [UInt8]) {
    let src = dir.appendingPathComponent("src")
    try FileManager.default.createDirectory(at: src, withIntermediateDirectories: true)
    let files = try makeSourceTree(src)
    let tarURL = dir.appendingPathComponent("plain.tar")
    try run("tar", ["-cf", tarURL.path, "-C", src.path, "."])
    let tarBytes = try readBytes(tarURL)
    let offsets = Array(Set(cuts(tarBytes.count).filter { (0...tarBytes.count).contains($0) })).sorted()
    var joined: [UInt8] = []
    for (i, (a, b)) in zip(offsets, offsets.dropFirst()).enumerated() {
        let part = dir.appendingPathComponent("part\(i)")
        try writeBytes(Array(tarBytes[a..<b]), to: part)
        joined += try run("gzip", ["-c", "-n", "-\(1 + i % 9)", part.path]).stdout
    }
    return (files, joined)
}

@Suite("Reader")
struct ReaderTests {
    @Test("Round trip: the reader returns exactly what the writer wrote")
    func roundTrip() throws {
        try withTemporaryDirectory { dir in
            let entries = sampleEntries(bigSize: 1024 * 1024 + 1, streamedSize: 700_001)
            let archive = dir.appendingPathComponent("rt.tar.gz")
            try writeArchive(entries, to: archive, options: .init(level: 6, workers: 2))
            let got = try readAllEntries(archive.path)
            let want = expectedReadBack(entries)
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) {
                #expect(g.metadata == w.metadata, "metadata of \(w.metadata.name)")
                let sameBody = g.body == w.body
                #expect(sameBody, "body of \(w.metadata.name): \(g.body.count) vs \(w.body.count) bytes")
            }
        }
    }

    @Test("Reading the first entry reads only the head of a large archive")
    func readsOnlyTheHead() throws {
        try withTemporaryDirectory { dir in
            let archive = dir.appendingPathComponent("head.tar.gz")
            let writer = try TarGzWriter(path: archive.path, options: .init(level: 1, workers: 2))
            let manifest = try writer.reserveEntry(TarEntryMetadata(name: "manifest.json", mtime: 1), capacity: 8192)
            let random = mixedContent(128 * 1024, seed: 5)
            try writer.addStreamingFile(TarEntryMetadata(name: "db/database.dump", mtime: 1)) { sink in
                var rng = SplitMix64(seed: 77)
                for _ in 0..<64 {  // 8 MiB of nearly incompressible data
                    var piece = random
                    piece.withUnsafeMutableBytes { $0.storeBytes(of: rng.next(), as: UInt64.self) }
                    try sink.write(piece)
                }
            }
            try writer.patch(manifest, content: Array("{\"format\":2}".utf8))
            try writer.finish()
            let fileSize = try readBytes(archive).count
            #expect(fileSize > 4 << 20)

            let reader = try TarGzReader(path: archive.path)
            let first = try reader.next()
            #expect(first?.metadata.name == "manifest.json")
            let body = try reader.readAll(limit: 1 << 20)
            #expect(body.prefix(12) == ArraySlice(Array("{\"format\":2}".utf8)))
            #expect(reader.compressedBytesRead <= 128 * 1024, "read \(reader.compressedBytesRead) of \(fileSize) bytes")
        }
    }

    @Test("Reads GNU tar -czf archives (GNU long names and links) in gnu and posix formats", arguments: ["gnu", "posix"])
    func readsGNUTar(format: String) throws {
        try withTemporaryDirectory { dir in
            let src = dir.appendingPathComponent("src")
            try FileManager.default.createDirectory(at: src, withIntermediateDirectories: true)
            let files = try makeSourceTree(src)
            let archive = dir.appendingPathComponent("gnu.tar.gz")
            try run("tar", ["--format=\(format)", "-czf", archive.path, "-C", src.path, "."])
            let entries = try readAllEntries(archive.path)
            for (name, content) in files {
                let entry = entries.first { $0.metadata.name == "./" + name }
                #expect(entry != nil, "\(name) missing from \(entries.map(\.metadata.name))")
                let same = entry?.body == content
                #expect(same, "content of \(name)")
                #expect(entry?.metadata.kind == .file)
            }
            let longName = files.keys.first { $0.hasPrefix("long-") }!
            let link = entries.first { $0.metadata.name == "./small/link" }
            #expect(link?.metadata.kind == .symlink(target: "../" + longName))
            #expect(entries.contains { $0.metadata.name == "./small" && $0.metadata.kind == .directory })
        }
    }

    @Test("Reads multi-member gzip (cat a.gz b.gz), trailing zero padding; rejects trailing garbage")
    func multiMember() throws {
        try withTemporaryDirectory { dir in
            // Split the tar stream at odd places, gzip each part, concatenate.
            let (files, joined) = try multiMemberGzip(in: dir) { [0, 1000, 40_000, $0] }
            let multi = dir.appendingPathComponent("multi.tar.gz")
            try writeBytes(joined, to: multi)
            let entries = try readAllEntries(multi.path)
            for (name, content) in files {
                let same = entries.first { $0.metadata.name == "./" + name }?.body == content
                #expect(same, "content of \(name)")
            }

            let padded = dir.appendingPathComponent("padded.tar.gz")
            try writeBytes(joined + [UInt8](repeating: 0, count: 3000), to: padded)
            #expect(try readAllEntries(padded.path).count == entries.count)

            let garbage = dir.appendingPathComponent("garbage.tar.gz")
            try writeBytes(joined + Array("garbage".utf8), to: garbage)
            #expect { _ = try readAllEntries(garbage.path) } throws: { ($0 as? ArchiveError)?.code == .corrupt }
        }
    }

    @Test("Multi-member gzip read a few bytes at a time: the bytes ISA-L reads past each member's deflate data are given back")
    func multiMemberInSmallReads() throws {
        try withTemporaryDirectory { dir in
            // Members of every size class, including ones whose deflate data is a few bytes.
            let (files, joined) = try multiMemberGzip(in: dir) { [0, 1, 2, 3, 10, 512, 1000, 1001, 40_000, $0 - 3, $0] }
            // Reads of 1 to 13 bytes: the inflater's bit buffer then always holds bytes of an
            // earlier read when a member ends.
            for pattern in [[1], [1, 2, 3, 5, 7, 11, 13], [8], [9]] {
                var at = 0, turn = 0
                let reader = try TarGzReader(source: { buffer in
                    let n = min(pattern[turn % pattern.count], buffer.count, joined.count - at)
                    turn += 1
                    guard n > 0 else { return 0 }
                    joined[at..<(at + n)].withUnsafeBytes { buffer.copyMemory(from: $0) }
                    at += n
                    return n
                }, name: "multi.tar.gz")
                var got: [String: [UInt8]] = [:]
                while let entry = try reader.next() {
                    got[entry.metadata.name] = try reader.readAll(limit: 64 << 20)
                }
                try reader.finishVerification()
                for (name, content) in files {
                    #expect(got["./" + name] == content, "content of \(name), reads \(pattern)")
                }
            }
        }
    }

    @Test("ISA-L's inflate gives zlib's output and CRC-32, in any step sizes")
    func fastInflateMatchesZlib() throws {
        for (size, level) in [(0, 6), (1, 1), (70_000, 1), (300_000, 9)] {
            let data = mixedContent(size, seed: UInt64(size))
            // A whole raw deflate stream (a sync-flushed block, then an empty final block) and
            // then 8 bytes that are not deflate data, as a gzip trailer follows it.
            let deflater = try BlockDeflater(level: Int32(level))
            let compressed = data.withUnsafeBytes { deflater.compressBlock($0, dictionary: nil) }
            let block = withExtendedLifetime(compressed) { Array(compressed.bytes) }
            let trailer: [UInt8] = [0xC1, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xF8]
            let deflated = block + [0x03, 0x00] + trailer
            let stream = FastInflateStream()
            var out: [UInt8] = []
            var at = 0, ended = false
            var scratch = [UInt8](repeating: 0, count: 777)
            while !ended {
                let take = min(333, deflated.count - at)
                let step = deflated[at..<(at + take)].withUnsafeBytes { input in
                    scratch.withUnsafeMutableBytes { stream.step(input, $0) }
                }
                at += step.consumed
                out += scratch[0..<step.produced]
                if case .streamEnd = step.result { ended = true }
                if case .dataError(let reason) = step.result { Issue.record("data error \(reason) at \(at) of \(deflated.count), size \(size)"); return }
                if step.consumed == 0 && step.produced == 0 && !ended { Issue.record("no progress at \(at)"); return }
            }
            #expect(out == data, "\(size) bytes at level \(level)")
            #expect(stream.crc == Checksum.crc32(data), "CRC-32 of \(size) bytes")
            #expect(stream.unusedBytes() + deflated[at...] == trailer, "what follows the deflate data, \(size) bytes")
        }
    }

    @Test("Damaged deflate data fed to ISA-L a few bytes at a time: an error, never a crash (found by make fuzz tar-gz)")
    func fastInflateDamagedInPieces() throws {
        // ISA-L 2.30 answers this damaged stream, fed in these steps (input bytes offered,
        // output space), with an error and avail_in wrapped below zero; the step computed
        // `consumed` from it and trapped on the overflow. Fixtures/isal/README.md.
        let damaged = try Array(Data(contentsOf: URL(fileURLWithPath: fixturePath("isal/damaged-deflate.bin"))))
        let steps = try String(contentsOfFile: fixturePath("isal/damaged-deflate.steps"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
        let stream = FastInflateStream()
        var at = 0
        var failed = false
        for step in steps {
            let take = min(step[0], damaged.count - at)
            var scratch = [UInt8](repeating: 0, count: step[1])
            let result = damaged[at..<(at + take)].withUnsafeBytes { input in
                scratch.withUnsafeMutableBytes { stream.step(input, $0) }
            }
            #expect(result.consumed <= take && result.produced <= step[1])
            at += result.consumed
            if case .dataError = result.result {
                failed = true
                break
            }
        }
        #expect(failed, "the damage is reported")
    }

    @Test("Gzip header flags FEXTRA, FNAME, FCOMMENT and FHCRC are handled; a bad header CRC is corrupt")
    func gzipHeaderFlags() throws {
        try withTemporaryDirectory { dir in
            let src = dir.appendingPathComponent("src")
            try FileManager.default.createDirectory(at: src, withIntermediateDirectories: true)
            let files = try makeSourceTree(src)
            let tarURL = dir.appendingPathComponent("plain.tar")
            try run("tar", ["-cf", tarURL.path, "-C", src.path, "."])
            let gz = try run("gzip", ["-c", "-n", tarURL.path]).stdout
            #expect(gz[3] == 0, "gzip -n wrote flags")
            var header: [UInt8] = [0x1F, 0x8B, 0x08, 0x04 | 0x08 | 0x10 | 0x02, 1, 2, 3, 4, 0, 3]
            header += [6, 0] + Array("ab\u{2}\u{0}xy".utf8)  // XLEN=6: one subfield
            header += Array("plain.tar".utf8) + [0]
            header += Array("a comment".utf8) + [0]
            let hcrc = Checksum.crc32(header) & 0xFFFF
            let good = header + [UInt8(hcrc & 0xFF), UInt8(hcrc >> 8)] + gz[10...]
            let goodURL = dir.appendingPathComponent("flags.tar.gz")
            try writeBytes(good, to: goodURL)
            try run("gzip", ["-t", goodURL.path])  // the crafted file is valid gzip
            let entries = try readAllEntries(goodURL.path)
            for (name, content) in files {
                let same = entries.first { $0.metadata.name == "./" + name }?.body == content
                #expect(same, "content of \(name)")
            }
            var bad = good
            bad[header.count] ^= 0x01
            let badURL = dir.appendingPathComponent("badcrc.tar.gz")
            try writeBytes(bad, to: badURL)
            #expect { _ = try readAllEntries(badURL.path) } throws: { ($0 as? ArchiveError)?.code == .corrupt }
        }
    }

    @Test("Not gzip, empty file, and usage errors")
    func notGzip() throws {
        try withTemporaryDirectory { dir in
            let text = dir.appendingPathComponent("notes.txt")
            try writeBytes(Array("hello world, not an archive\n".utf8), to: text)
            #expect { _ = try readAllEntries(text.path) } throws: { ($0 as? ArchiveError)?.code == .corrupt }
            let empty = dir.appendingPathComponent("empty.tar.gz")
            try writeBytes([], to: empty)
            #expect { _ = try readAllEntries(empty.path) } throws: { ($0 as? ArchiveError)?.code == .truncated }
            #expect { _ = try TarGzReader(path: dir.appendingPathComponent("missing").path) } throws: {
                ($0 as? ArchiveError)?.code == .io
            }
            let archive = dir.appendingPathComponent("one.tar.gz")
            let writer = try TarGzWriter(path: archive.path, options: .init(workers: 1))
            try writer.addFile(TarEntryMetadata(name: "f", mtime: 0), size: 1) { try $0.write([42]) }
            try writer.finish()
            let fd = open(archive.path, O_RDONLY)
            let reader = try TarGzReader(fileDescriptor: fd, closeOnDeinit: true)
            #expect { try reader.finishVerification() } throws: { ($0 as? ArchiveError)?.code == .usage }
        }
    }

    @Test("ZlibInflater decompresses zlib streams fed in pieces; corrupt data throws")
    func zlibInflater() throws {
        try withTemporaryDirectory { dir in
            let plain = mixedContent(300_000, seed: 21)
            let plainURL = dir.appendingPathComponent("plain")
            try writeBytes(plain, to: plainURL)
            let compressed = try [UInt8](run(
                "python3", ["-c", "import sys,zlib; sys.stdout.buffer.write(zlib.compress(open(sys.argv[1],'rb').read(), 6))", plainURL.path]
            ).stdout)
            let inflater = try ZlibInflater()
            var out: [UInt8] = []
            var ended = false
            var i = 0
            while i < compressed.count {
                let n = min(777, compressed.count - i)
                ended = try compressed[i..<(i + n)].withUnsafeBytes { piece in
                    try inflater.inflate(piece) { out += $0 }
                }
                i += n
            }
            #expect(ended)
            let same = out == plain
            #expect(same, "inflated \(out.count) bytes, expected \(plain.count)")

            var broken = compressed
            broken[broken.count / 2] ^= 0xFF
            let second = try ZlibInflater()
            #expect {
                try broken.withUnsafeBytes { _ = try second.inflate($0) { _ in } }
            } throws: { ($0 as? CompressionError)?.code == .corrupt }
        }
    }

    @Test("CRC-32 matches the standard check value and combines")
    func crc() {
        let data = Array("123456789".utf8)
        #expect(Checksum.crc32(data) == 0xCBF4_3926)
        let a = Checksum.crc32(Array(data[0..<4]))
        let b = Checksum.crc32(Array(data[4...]))
        #expect(Checksum.crc32Combine(a, b, lengthOfB: 5) == 0xCBF4_3926)
        #expect(Checksum.crc32(Array(data[4...]), seed: a) == 0xCBF4_3926)
    }

    @Test("A NUL byte in a pax path or linkpath is refused as an unsafe name", arguments: ["path", "linkpath"])
    func nulInPaxName(key: String) throws {
        try withTemporaryDirectory { dir in
            var f = TarFormat.UstarFields()
            f.name = Array("config/l".utf8)[...]
            f.mode = 0o777
            f.typeflag = UInt8(ascii: "2")
            f.linkname = Array("x".utf8)[...]
            let value = key == "path" ? "config/l\u{0}x" : "..\u{0}/x"
            let meta = TarEntryMetadata(name: "config/l", mtime: 1)
            let tar = TarFormat.paxBlocks(for: Array("config/l".utf8), records: TarFormat.paxRecord(key, value), meta: meta)
                + TarFormat.ustarBlock(f) + [UInt8](repeating: 0, count: 1024)
            let tarURL = dir.appendingPathComponent("nul.tar")
            try writeBytes(tar, to: tarURL)
            let gzURL = dir.appendingPathComponent("nul.tar.gz")
            try run("gzip", ["-c", "-n", tarURL.path]).stdout.write(to: gzURL)
            let reader = try TarGzReader(path: gzURL.path)
            #expect { _ = try reader.next() } throws: { ($0 as? ArchiveError)?.code == .unsafePath }
        }
    }
}

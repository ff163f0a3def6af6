@testable import ArchiveWriter
import Foundation
import TestHarness
import Testing

@Suite("Writer")
struct WriterTests {
    @Test("Output is byte-for-byte identical with 1 and 4 workers, and content does not depend on level")
    func deterministicAcrossWorkers() throws {
        try withTemporaryDirectory { dir in
            let entries = sampleEntries(bigSize: 2 * 1024 * 1024 + 5, streamedSize: 1024 * 1024 + 3)
            let one = dir.appendingPathComponent("w1.tar.gz")
            let four = dir.appendingPathComponent("w4.tar.gz")
            let fast = dir.appendingPathComponent("fast.tar.gz")
            try writeArchive(entries, to: one, options: .init(level: 6, workers: 1, blockSize: 64 * 1024))
            try writeArchive(entries, to: four, options: .init(level: 6, workers: 4, blockSize: 64 * 1024))
            try writeArchive(entries, to: fast, options: .init(level: 1, workers: 3))
            let a = try readBytes(one)
            let b = try readBytes(four)
            #expect(a.count > 0)
            let same = a == b
            #expect(same, "archives differ: \(a.count) vs \(b.count) bytes")

            let plainA = try run("gzip", ["-dc", one.path]).stdout
            let plainFast = try run("gzip", ["-dc", fast.path]).stdout
            let sameContent = plainA == plainFast
            #expect(sameContent, "decompressed tar streams differ between level 6/1 worker and level 1/3 workers")
            #expect(plainA.count % 512 == 0)
        }
    }

    @Test("Compression is close to a single stream (pigz-style dictionaries)")
    func compressionRatio() throws {
        try withTemporaryDirectory { dir in
            // Text only: independent blocks would cost several percent here.
            var text: [UInt8] = []
            var rng = SplitMix64(seed: 4)
            while text.count < 4 * 1024 * 1024 {
                text += Array("id=\(rng.next() % 100_000) room=pharaohs state=\(rng.next() % 7) ok\n".utf8)
            }
            let archive = dir.appendingPathComponent("text.tar.gz")
            let writer = try TarGzWriter(path: archive.path, options: .init(level: 6, workers: 2))
            try writer.addFile(TarEntryMetadata(name: "t.txt", mtime: 0), size: Int64(text.count)) { try $0.write(text) }
            try writer.finish()
            let plain = dir.appendingPathComponent("text.tar")
            try run("gzip", ["-dc", archive.path]).stdout.write(to: plain)
            let reference = try run("gzip", ["-6", "-c", plain.path]).stdout.count
            let ours = try readBytes(archive).count
            #expect(Double(ours) <= Double(reference) * 1.01, "ours \(ours) bytes vs gzip -6 \(reference) bytes")
        }
    }

    @Test("Members: stored regions are separate members, data members hold the rest")
    func memberLayout() throws {
        try withTemporaryDirectory { dir in
            let archive = dir.appendingPathComponent("m.tar.gz")
            let writer = try TarGzWriter(path: archive.path, options: .init(level: 6, workers: 2))
            let manifest = try writer.reserveEntry(TarEntryMetadata(name: "manifest.json", mtime: 0), capacity: 100)
            try writer.addStreamingFile(TarEntryMetadata(name: "s.bin", mtime: 0)) { try $0.write([UInt8](repeating: 7, count: 1000)) }
            try writer.patch(manifest, content: Array("{}".utf8))
            try writer.finish()
            let bytes = try readBytes(archive)
            // Member 1: the stored manifest region, starting with the fixed gzip header.
            #expect(Array(bytes[0..<10]) == [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03])
            #expect(bytes[10] == 0x01, "one stored block, BFINAL")
            let regionLength = 512 + 512  // header + 100 bytes padded to a block
            #expect(Int(bytes[11]) | Int(bytes[12]) << 8 == regionLength)
            let content = Array(bytes[(15 + 512)..<(15 + 512 + 100)])
            #expect(content == Array("{}".utf8) + [UInt8](repeating: 0x20, count: 98))
            // Member 2 follows the first member's trailer: the streamed header region.
            let second = 15 + regionLength + 8
            #expect(Array(bytes[second..<(second + 3)]) == [0x1F, 0x8B, 0x08])
            // The whole file is a valid gzip.
            try run("gzip", ["-t", archive.path])
        }
    }

    @Test("Usage errors: wrong body sizes, existing file, capacity, use after finish")
    func usageErrors() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("u.tar.gz").path
            let writer = try TarGzWriter(path: path, options: .init(workers: 1))
            #expect(throws: ArchiveError.self) { try TarGzWriter(path: path) }
            do {
                try writer.addFile(TarEntryMetadata(name: "short", mtime: 0), size: 10) { try $0.write([1, 2, 3]) }
                Issue.record("a short body was accepted")
            } catch let error as ArchiveError {
                #expect(error.code == .usage)
            }
            // The writer stays failed.
            #expect(throws: ArchiveError.self) { try writer.addEntry(TarEntryMetadata(name: "d", kind: .directory, mtime: 0)) }
            writer.abort()
            writer.abort()

            let path2 = dir.appendingPathComponent("u2.tar.gz").path
            let w2 = try TarGzWriter(path: path2, options: .init(workers: 1))
            do {
                try w2.addFile(TarEntryMetadata(name: "long", mtime: 0), size: 2) { try $0.write([1, 2, 3]) }
                Issue.record("a long body was accepted")
            } catch let error as ArchiveError {
                #expect(error.code == .usage)
            }
            let path3 = dir.appendingPathComponent("u3.tar.gz").path
            let w3 = try TarGzWriter(path: path3, options: .init(workers: 1))
            let r = try w3.reserveEntry(TarEntryMetadata(name: "m.json", mtime: 0), capacity: 4)
            do {
                try w3.patch(r, content: [1, 2, 3, 4, 5])
                Issue.record("content over capacity accepted")
            } catch let error as ArchiveError {
                #expect(error.code == .tooLarge)
            }
            try w3.patch(r, content: [1, 2, 3, 4])
            try w3.finish()
            #expect(throws: ArchiveError.self) { try w3.finish() }
            for (i, bad) in ["/etc/passwd", "a/../../b", "", "nul\u{0}byte"].enumerated() {
                let w = try TarGzWriter(path: dir.appendingPathComponent("bad\(i).tar.gz").path, options: .init(workers: 1))
                do {
                    try w.addEntry(TarEntryMetadata(name: bad, kind: .directory, mtime: 0))
                    Issue.record("unsafe name \(bad) accepted")
                } catch let error as ArchiveError {
                    #expect(error.code == .unsafePath)
                }
                w.abort()
            }
        }
    }

    @Test("Writer errors name the file and say how to fix it")
    func errorText() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("exists.tar.gz").path
            _ = FileManager.default.createFile(atPath: path, contents: Data())
            do {
                _ = try TarGzWriter(path: path)
                Issue.record("an existing file was overwritten")
            } catch let error as ArchiveError {
                #expect(error.code == .io)
                #expect(error.message == "cannot create \(path): the file already exists — remove it or choose another name")
                #expect(error.path == path)
            }
            let full = Sys.writeError(ENOSPC, path: "/backups/a.tar.gz", offset: 42)
            #expect(full.code == .diskFull)
            #expect(full.description
                == "no space left on the device while writing /backups/a.tar.gz (42 bytes written) — free space on that filesystem or write the archive elsewhere")
        }
    }

    @Test("A full disk is reported as diskFull", .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func diskFull() throws {
        // /dev/full cannot be opened with O_EXCL, so check the errno mapping through write(2).
        let fd = open("/dev/full", O_WRONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        let bytes: [UInt8] = [1, 2, 3]
        do {
            try bytes.withUnsafeBytes { try Sys.writeAll(fd, $0, path: "/dev/full", offset: 0) }
            Issue.record("write to /dev/full succeeded")
        } catch let error as ArchiveError {
            #expect(error.code == .diskFull)
        }
    }
}

@Suite("Tar headers")
struct TarHeaderTests {
    @Test("pax record lengths include their own digits, across digit-count boundaries")
    func paxRecordLengths() {
        for valueLength in 0..<1100 {
            let record = TarFormat.paxRecord("path", String(repeating: "v", count: valueLength))
            let text = String(decoding: record, as: UTF8.self)
            let declared = Int(text.prefix { $0 != " " })
            #expect(declared == record.count, "value length \(valueLength): \(text.prefix(8))")
        }
        #expect(TarFormat.paxRecord("size", "0") == Array("9 size=0\n".utf8))
    }

    @Test("ustar name/prefix split")
    func nameSplit() {
        func split(_ s: String) -> (String, String)? {
            TarFormat.splitName(Array(s.utf8)).map {
                (String(decoding: $0.prefix, as: UTF8.self), String(decoding: $0.name, as: UTF8.self))
            }
        }
        #expect(split(String(repeating: "a", count: 100))! == ("", String(repeating: "a", count: 100)))
        #expect(split(String(repeating: "a", count: 101)) == nil)
        let long = String(repeating: "p", count: 155) + "/" + String(repeating: "n", count: 100)
        #expect(split(long)! == (String(repeating: "p", count: 155), String(repeating: "n", count: 100)))
        #expect(split(String(repeating: "p", count: 156) + "/n") == nil)
        #expect(split("a/" + String(repeating: "n", count: 101)) == nil)
    }

    @Test("Streamed headers have the same length whatever the size; sizes over 8 GiB go to pax")
    func streamedHeaderLayout() throws {
        let meta = TarEntryMetadata(name: "db/database.dump", mtime: sampleMtime)
        let small = try TarFormat.headerBlocks(meta, size: 0, streaming: true)
        let huge = try TarFormat.headerBlocks(meta, size: 10 << 30, streaming: true)
        #expect(small.count == huge.count)
        #expect(small.count == 3 * 512)
        let records = String(decoding: huge[512..<1024], as: UTF8.self)
        #expect(records.contains("size=00000000010737418240\n"))
        // ustar size field: 0 when over 11 octal digits.
        #expect(Array(huge[(1024 + 124)..<(1024 + 136)]) == Array("00000000000\0".utf8))
        let fits = try TarFormat.headerBlocks(meta, size: 1000, streaming: true)
        #expect(Array(fits[(1024 + 124)..<(1024 + 136)]) == Array("00000001750\0".utf8))
    }
}

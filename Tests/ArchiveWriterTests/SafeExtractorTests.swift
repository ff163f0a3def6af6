@testable import ArchiveWriter
import Foundation
import Testing

/// A source that yields `bytes` once, then 0.
private func bytes(_ content: String) -> (UnsafeMutableRawBufferPointer) throws -> Int {
    var left = Array(content.utf8)[...]
    return { buffer in
        let n = min(buffer.count, left.count)
        buffer.copyBytes(from: left.prefix(n))
        left = left.dropFirst(n)
        return n
    }
}

@Suite("SafeExtractor")
struct SafeExtractorTests {
    @Test("entries in any order: files before their directories, modes and times applied at the end")
    func anyOrder() throws {
        try withTemporaryDirectory { dir in
            let root = dir.appendingPathComponent("x").path
            let extractor = try SafeExtractor(creating: root)
            try extractor.file("a/b/c.txt", mode: 0o640, mtime: 1_000_000, source: bytes("hello\n"))
            try extractor.symlink("a/link", target: "b/c.txt")
            try extractor.directory("a/b", mode: 0o555, mtime: 2_000_000)
            try extractor.directory("a", mode: 0o750, mtime: 3_000_000)
            try extractor.directory("", mode: 0o755, mtime: 4_000_000)
            let items = try extractor.walk { _, _ in }
            #expect(items == [
                .init(path: "a", kind: .directory), .init(path: "a/b", kind: .directory),
                .init(path: "a/b/c.txt", kind: .file(size: 6)), .init(path: "a/link", kind: .symlink(target: "b/c.txt")),
            ])
            try extractor.finish()
            let fm = FileManager.default
            #expect(try fm.attributesOfItem(atPath: root + "/a/b")[.posixPermissions] as? Int == 0o555)
            #expect(try fm.attributesOfItem(atPath: root + "/a/b/c.txt")[.posixPermissions] as? Int == 0o640)
            #expect((try fm.attributesOfItem(atPath: root + "/a/b/c.txt")[.modificationDate] as? Date)?.timeIntervalSince1970 == 1_000_000)
            #expect((try fm.attributesOfItem(atPath: root + "/a")[.modificationDate] as? Date)?.timeIntervalSince1970 == 3_000_000)
            #expect(try fm.attributesOfItem(atPath: root)[.posixPermissions] as? Int == 0o755)
            #expect(fm.contents(atPath: root + "/a/link") == Data("hello\n".utf8))
            extractor.remove()
            #expect(!fm.fileExists(atPath: root), "a read-only directory inside does not stop the removal")
        }
    }

    @Test("nothing is created below a link or a file, whatever the order; duplicates are refused")
    func belowLinks() throws {
        try withTemporaryDirectory { dir in
            let outside = dir.appendingPathComponent("outside").path
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            let extractor = try SafeExtractor(creating: dir.appendingPathComponent("x").path)
            try extractor.symlink("s", target: ".")
            try extractor.symlink("out", target: outside)
            for name in ["s/s/l", "out/x", "s/x"] {
                #expect { try extractor.file(name, mode: 0o644, mtime: 0, source: bytes("evil")) } throws: {
                    ($0 as? ArchiveError)?.code == .unsafePath && "\($0)".contains("below the link")
                }
            }
            #expect { try extractor.directory("out/d", mode: 0o755, mtime: 0) } throws: { ($0 as? ArchiveError)?.code == .unsafePath }
            // The name first (as a directory made for a file), the link afterwards: refused too.
            try extractor.file("d/f", mode: 0o644, mtime: 0, source: bytes("ok"))
            #expect { try extractor.symlink("d", target: outside) } throws: { ($0 as? ArchiveError)?.code == .unsafePath }
            try extractor.file("f", mode: 0o644, mtime: 0, source: bytes("ok"))
            #expect { try extractor.file("f/g", mode: 0o644, mtime: 0, source: bytes("x")) } throws: { ($0 as? ArchiveError)?.code == .unsafePath }
            #expect { try extractor.file("f", mode: 0o644, mtime: 0, source: bytes("again")) } throws: { ($0 as? ArchiveError)?.code == .unsafePath }
            #expect { try extractor.directory("a/../..", mode: 0o755, mtime: 0) } throws: { ($0 as? ArchiveError)?.code == .unsafePath }
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        }
    }

    @Test("a link made on disk behind the extractor's back is not followed either")
    func linkOnDisk() throws {
        try withTemporaryDirectory { dir in
            let outside = dir.appendingPathComponent("outside").path
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            let root = dir.appendingPathComponent("x").path
            let extractor = try SafeExtractor(creating: root)
            try FileManager.default.createSymbolicLink(atPath: root + "/d", withDestinationPath: outside)
            #expect { try extractor.file("d/f", mode: 0o644, mtime: 0, source: bytes("evil")) } throws: { ($0 as? ArchiveError)?.code == .unsafePath }
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        }
    }
}

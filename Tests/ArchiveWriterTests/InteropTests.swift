import ArchiveWriter
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Checks an extracted tree against the entries written.
func verifyExtracted(_ root: URL, _ entries: [ExpectedEntry], tool: String) throws {
    var inodes: [String: UInt64] = [:]
    for entry in entries {
        let path = root.appendingPathComponent(entry.meta.name).path
        var st = stat()
        guard lstat(path, &st) == 0 else {
            Issue.record("\(tool): \(entry.meta.name) was not extracted")
            continue
        }
        let mode = UInt32(st.st_mode) & 0o7777
        let mtime = Int64(st.st_mtim.tv_sec)
        switch entry.meta.kind {
        case .file:
            let expected = entry.how == .reserved ? paddedReserved(entry.content) : entry.content
            let got = try readBytes(URL(fileURLWithPath: path))
            let same = got == expected
            #expect(same, "\(tool): content of \(entry.meta.name) (\(got.count) vs \(expected.count) bytes)")
            #expect(mode == entry.meta.mode, "\(tool): mode of \(entry.meta.name) is \(String(mode, radix: 8))")
            #expect(mtime == entry.meta.mtime, "\(tool): mtime of \(entry.meta.name)")
            inodes[entry.meta.name] = UInt64(st.st_ino)
        case .directory:
            #expect((UInt32(st.st_mode) & UInt32(S_IFMT)) == UInt32(S_IFDIR), "\(tool): \(entry.meta.name) is not a directory")
            #expect(mode == entry.meta.mode, "\(tool): mode of directory \(entry.meta.name) is \(String(mode, radix: 8))")
            // GNU tar creates symlinks last (as placeholders replaced at the end), after it has
            // restored the directory's mtime, so it cannot be checked after a GNU extraction.
            if tool != "GNU tar" {
                #expect(mtime == entry.meta.mtime, "\(tool): mtime of directory \(entry.meta.name)")
            }
        case .symlink(let target):
            let got = try FileManager.default.destinationOfSymbolicLink(atPath: path)
            #expect(got == target, "\(tool): target of \(entry.meta.name)")
        case .hardlink(let target):
            #expect(inodes[target] == UInt64(st.st_ino), "\(tool): \(entry.meta.name) is not a hard link to \(target)")
        case .other:
            break
        }
    }
}

/// Extracts with Python's tarfile and returns its view of the members.
func pythonExtract(_ archive: URL, into dir: URL) throws -> [[String: Any]] {
    let script = """
        import json, sys, tarfile
        with tarfile.open(sys.argv[1], 'r:gz') as t:
            members = t.getmembers()
            if hasattr(tarfile, 'fully_trusted_filter'):
                t.extractall(sys.argv[2], filter='fully_trusted')
            else:
                t.extractall(sys.argv[2])
        print(json.dumps([{'name': m.name, 'size': m.size, 'type': m.type.decode(), 'mode': m.mode,
                           'mtime': int(m.mtime), 'linkname': m.linkname} for m in members]))
        """
    let result = try run("python3", ["-c", script, archive.path, dir.path])
    return try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]] ?? []
}

@Suite("Archives are read by standard tools", .timeLimit(.minutes(30)))
struct InteropTests {
    @Test("gzip, GNU tar, bsdtar and Python tarfile accept and extract the sample archive exactly")
    func standardToolsExtractSample() throws {
        try withTemporaryDirectory { dir in
            let entries = sampleEntries()
            let archive = dir.appendingPathComponent("sample.tar.gz")
            try writeArchive(entries, to: archive, options: .init(level: 6, workers: 2))

            // The file is created 0600.
            let attributes = try FileManager.default.attributesOfItem(atPath: archive.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            try run("gzip", ["-t", archive.path])

            // GNU tar: listing (no warnings, one line per entry, right sizes) and extraction.
            let gnuList = try run("tar", ["--quoting-style=literal", "-tzvf", archive.path])
            #expect(gnuList.stderr.isEmpty, "GNU tar warned: \(gnuList.stderr)")
            let gnuLines = gnuList.text.split(separator: "\n")
            #expect(gnuLines.count == entries.count, "GNU tar listed \(gnuLines.count) entries")
            for entry in entries where entry.meta.kind == .file {
                let size = entry.how == .reserved ? 4096 : entry.content.count
                let line = gnuLines.first { $0.hasSuffix(" " + entry.meta.name) }
                #expect(line?.contains(" \(size) ") == true, "GNU tar line for \(entry.meta.name): \(line ?? "missing")")
            }
            let gnuDir = dir.appendingPathComponent("gnu")
            try FileManager.default.createDirectory(at: gnuDir, withIntermediateDirectories: true)
            let gnuExtract = try run("tar", ["-xzf", archive.path, "-C", gnuDir.path])
            #expect(gnuExtract.stderr.isEmpty, "GNU tar warned: \(gnuExtract.stderr)")
            try verifyExtracted(gnuDir, entries, tool: "GNU tar")

            // bsdtar (libarchive).
            let bsdList = try run("bsdtar", ["-tzvf", archive.path])
            #expect(bsdList.stderr.isEmpty, "bsdtar warned: \(bsdList.stderr)")
            #expect(bsdList.text.split(separator: "\n").count == entries.count)
            let bsdDir = dir.appendingPathComponent("bsd")
            try FileManager.default.createDirectory(at: bsdDir, withIntermediateDirectories: true)
            let bsdExtract = try run("bsdtar", ["-xpzf", archive.path, "-C", bsdDir.path])
            #expect(bsdExtract.stderr.isEmpty, "bsdtar warned: \(bsdExtract.stderr)")
            try verifyExtracted(bsdDir, entries, tool: "bsdtar")

            // Python tarfile.
            let pyDir = dir.appendingPathComponent("py")
            let members = try pythonExtract(archive, into: pyDir)
            #expect(members.count == entries.count)
            for (member, entry) in zip(members, entries) {
                let name = entry.meta.name
                #expect((member["name"] as? String) == name)
                #expect((member["mtime"] as? Int).map(Int64.init) == entry.meta.mtime, "python mtime of \(name)")
                if case .file = entry.meta.kind {
                    let size = entry.how == .reserved ? 4096 : entry.content.count
                    #expect((member["size"] as? Int) == size, "python size of \(name)")
                }
                if case .symlink(let target) = entry.meta.kind {
                    #expect((member["linkname"] as? String) == target)
                }
            }
            try verifyExtracted(pyDir, entries, tool: "python tarfile")
        }
    }

    @Test("A 64 MiB streamed entry of unknown size lists with its real size")
    func largeStreamedEntry() throws {
        try withTemporaryDirectory { dir in
            let archive = dir.appendingPathComponent("stream.tar.gz")
            let size = 64 * 1024 * 1024
            let chunk = mixedContent(1024 * 1024, seed: 9)
            let writer = try TarGzWriter(path: archive.path, options: .init(level: 1, workers: 2))
            let meta = TarEntryMetadata(name: "db/database.dump", mtime: sampleMtime)
            let written = try writer.addStreamingFile(meta) { sink in
                for i in 0..<(size / chunk.count) {
                    var piece = chunk
                    piece[0] = UInt8(truncatingIfNeeded: i)  // not one repeated MiB
                    try sink.write(piece)
                }
            }
            try writer.addFile(TarEntryMetadata(name: "after.txt", mtime: sampleMtime), size: 3) { try $0.write([1, 2, 3]) }
            try writer.finish()
            #expect(written == Int64(size))

            let list = try run("tar", ["-tzvf", archive.path])
            let lines = list.text.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first?.contains(" \(size) ") == true, "GNU tar: \(lines.first ?? "")")
            #expect(lines.first?.hasSuffix(" db/database.dump") == true)

            let reader = try TarGzReader(path: archive.path)
            let first = try reader.next()
            #expect(first?.size == Int64(size))
            #expect(first?.metadata.name == "db/database.dump")
            let second = try reader.next()
            #expect(second?.metadata.name == "after.txt")
            #expect(try reader.readAll(limit: 10) == [1, 2, 3])
            #expect(try reader.next() == nil)
            try reader.finishVerification()
        }
    }
}

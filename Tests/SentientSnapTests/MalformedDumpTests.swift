import ArchiveWriter
import Foundation
import PGDump
import SentientSnap
import TestHarness
import Testing

/// An archive in our layout whose dump has the given post-data entries (ids and dependencies
/// as given, unchecked), after a table with one row.
private func archiveWithDump(_ path: String, post: [(id: Int32, deps: [Int32])]) throws {
    try writeArchive(path, dump: try craftedDump(post: post, rows: [1]))
}

/// An archive in our layout holding `dump` as db/database.dump, listed in the manifest with its
/// size and SHA-256 (an unlisted file is damage of its own).
func writeArchive(_ path: String, dump: [UInt8]) throws {
    let base = "sentient-mal-20240101-020000"
    let dumpFile = path + ".dump"
    _ = FileManager.default.createFile(atPath: dumpFile, contents: Data(dump))
    defer { try? FileManager.default.removeItem(atPath: dumpFile) }
    let digest = try BackupJob.sha256(ofFile: dumpFile)
    let writer = try TarGzWriter(path: path)
    let manifest = Array("""
        {"room_name": "mal", "timestamp": "2024-01-01T01:00:00Z", "backup_type": "full",
         "contents": {"database": true, "config": false, "mqtt": false}, "created_by": "sentient-snap",
         "format_version": \(Manifest.formatVersion), "tool_version": "test",
         "files": [{"path": "db/database.dump", "size": \(dump.count), "sha256": "\(digest)"}]}
        """.utf8)
    try writer.addFile(TarEntryMetadata(name: base + "/manifest.json", kind: .file, mode: 0o600, mtime: 0), size: Int64(manifest.count)) { try $0.write(manifest) }
    try writer.addEntry(TarEntryMetadata(name: base + "/db", kind: .directory, mode: 0o700, mtime: 0))
    try writer.addFile(TarEntryMetadata(name: base + "/db/database.dump", kind: .file, mode: 0o600, mtime: 0), size: Int64(dump.count)) { try $0.write(dump) }
    try writer.finish()
}

@Suite("malformed dumps in archives", .timeLimit(.minutes(30)))
struct MalformedDumpTests {
    @Test("verify: duplicate dump ids, a dependency cycle or a dependency on a missing id is damage (65), named")
    func verifyRefuses() throws {
        let dir = try TempDir(prefix: "snap-maltoc")
        let cases: [(String, [(id: Int32, deps: [Int32])], String)] = [
            ("dup", [(3, [1]), (3, [1])], "two entries with id 3"),
            ("cycle", [(3, [1, 4]), (4, [3])], "cycle"),
            ("missing", [(3, [1, 42])], "depends on id 42"),
        ]
        let good = dir.file("good.tar.gz")
        try archiveWithDump(good, post: [(3, [1])])
        #expect(try ArchiveInspector.inspect(good).tableRows["public.t"] == 1)
        for (name, post, message) in cases {
            let path = dir.file("\(name).tar.gz")
            try archiveWithDump(path, post: post)
            let error = #expect(throws: SnapError.self, "\(name)") { _ = try ArchiveInspector.inspect(path) }
            #expect(error?.code == .damagedArchive, "\(name)")
            #expect(error?.message.contains(message) == true, "\(name): \(error?.message ?? "")")
        }
    }

    /// A dump with BLOB entries for `entries` and a BLOBS block holding `objects` (OID, content).
    private func archiveWithLargeObjects(_ path: String, entries: [UInt32], objects: [(UInt32, [UInt8])], cut: Int = 0) throws {
        var dump: [UInt8] = []
        let encoder = CustomArchiveEncoder { dump.append(contentsOf: $0) }
        try encoder.writeHeader(DumpHeader(createdAt: Date(timeIntervalSince1970: 1_735_732_800), databaseName: "d", serverVersion: "15", dumperVersion: "sentient-snap test"))
        var toc: [TOCEntry] = []
        for (n, oid) in entries.enumerated() {
            var blob = TOCEntry(dumpId: Int32(n + 1), tag: String(oid), desc: "BLOB", section: .preData)
            blob.defn = "SELECT pg_catalog.lo_create('\(oid)');\n"
            toc.append(blob)
        }
        var blobs = TOCEntry(dumpId: Int32(entries.count + 1), tag: "BLOBS", desc: "BLOBS", section: .data)
        blobs.hadDumper = true
        blobs.dataOffset = .notSet
        toc.append(blobs)
        try encoder.writeTOC(toc)
        try encoder.beginLargeObjects(dumpId: blobs.dumpId)
        for (oid, content) in objects {
            try encoder.beginLargeObject(oid: oid)
            // In two chunks, as a reader must take any split.
            try encoder.writeData(Array(content.prefix(content.count / 2)))
            try encoder.writeData(Array(content.dropFirst(content.count / 2)))
            try encoder.endLargeObject()
        }
        try encoder.endLargeObjects()
        try writeArchive(path, dump: Array(dump.dropLast(cut)))
    }

    @Test("verify walks the large objects' block: counts them, and a damaged block or one without its BLOB entry is damage (65)")
    func verifyLargeObjects() throws {
        let dir = try TempDir(prefix: "snap-mallo")
        let good = dir.file("good.tar.gz")
        let big = UInt32(3_000_000_000)  // above 2^31: pg_dump writes it through a C int
        try archiveWithLargeObjects(good, entries: [16400, big, 16402], objects: [(16400, Array("content".utf8)), (big, [0, 1, 2, 3]), (16402, [])])
        #expect(try ArchiveInspector.inspect(good).largeObjects == 3)

        let cases: [(String, [UInt32], [(UInt32, [UInt8])], Int, String)] = [
            ("orphan", [16400], [(16400, [1]), (16401, [2])], 0, "large object 16401"),
            ("twice", [16400], [(16400, [1]), (16400, [2])], 0, "appears twice"),
            ("cut", [16400], [(16400, Array(repeating: 7, count: 100))], 12, "ends early"),
        ]
        for (name, entries, objects, cut, message) in cases {
            let path = dir.file("\(name).tar.gz")
            try archiveWithLargeObjects(path, entries: entries, objects: objects, cut: cut)
            let error = #expect(throws: SnapError.self, "\(name)") { _ = try ArchiveInspector.inspect(path) }
            #expect(error?.code == .damagedArchive, "\(name)")
            #expect(error?.message.contains(message) == true, "\(name): \(error?.message ?? "")")
        }
    }
}

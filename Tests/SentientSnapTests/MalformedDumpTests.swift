import ArchiveWriter
import Foundation
import PGDump
import SentientSnap
import TestHarness
import Testing

/// An archive in our layout whose dump has the given post-data entries (ids and dependencies
/// as given, unchecked), after a table with one data block.
private func archiveWithDump(_ path: String, post: [(id: Int32, deps: [Int32])]) throws {
    var dump: [UInt8] = []
    let encoder = CustomArchiveEncoder { dump.append(contentsOf: $0) }
    try encoder.writeHeader(DumpHeader(createdAt: Date(timeIntervalSince1970: 1_735_732_800), databaseName: "d", serverVersion: "15", dumperVersion: "sentient-snap test"))
    var table = TOCEntry(dumpId: 1, tag: "t", desc: "TABLE", section: .preData)
    table.defn = "CREATE TABLE public.t (n integer);\n"
    table.namespace = "public"
    var data = TOCEntry(dumpId: 2, tag: "t", desc: "TABLE DATA", section: .data)
    data.hadDumper = true
    data.dataOffset = .notSet
    data.copyStmt = "COPY public.t (n) FROM stdin;\n"
    data.namespace = "public"
    data.dependencies = [1]
    var entries = [table, data]
    for (n, item) in post.enumerated() {
        var index = TOCEntry(dumpId: item.id, tag: "t_i\(n)", desc: "INDEX", section: .postData)
        index.defn = "CREATE INDEX t_i\(n) ON public.t (n);\n"
        index.namespace = "public"
        index.dependencies = item.deps
        entries.append(index)
    }
    try encoder.writeTOC(entries)
    try encoder.beginData(dumpId: 2)
    try encoder.writeData(Array("1\n\\.\n\n\n".utf8))
    try encoder.endData()
    try writeArchive(path, dump: dump)
}

/// An archive in our layout holding `dump` as db/database.dump, listed in the manifest with its
/// size and SHA-256 (an unlisted file is damage of its own).
func writeArchive(_ path: String, dump: [UInt8]) throws {
    let base = "sentient-mal-20240101-020000"
    let dumpFile = path + ".dump"
    FileManager.default.createFile(atPath: dumpFile, contents: Data(dump))
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

@Suite("malformed dumps in archives", .timeLimit(.minutes(10)))
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
}

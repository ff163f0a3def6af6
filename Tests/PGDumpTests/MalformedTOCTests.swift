import Foundation
import PGDump
import PGWire
import Testing

/// A small custom-format dump: schema, table, its data, then `post` post-data entries, all as
/// given (ids and dependencies unchecked), written by `dumper`.
func craftedDump(post: [(id: Int32, deps: [Int32])], extraDeps: [Int32] = [], dumper: String = "sentient-snap test") throws -> [UInt8] {
    var out: [UInt8] = []
    let encoder = CustomArchiveEncoder { out.append(contentsOf: $0) }
    try encoder.writeHeader(DumpHeader(createdAt: Date(timeIntervalSince1970: 1_735_732_800), databaseName: "d", serverVersion: "15", dumperVersion: dumper))
    var table = TOCEntry(dumpId: 1, tag: "t", desc: "TABLE", section: .preData)
    table.defn = "CREATE TABLE public.t (n integer);\n"
    table.namespace = "public"
    table.dependencies = extraDeps
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
    try encoder.writeData(Array("1\n2\n\\.\n\n\n".utf8))
    try encoder.endData()
    return out
}

private func readTOC(_ bytes: [UInt8]) throws -> [TOCEntry] {
    let decoder = CustomArchiveDecoder(source: memorySource(bytes))
    _ = try decoder.readHeader()
    return try decoder.readTOC()
}

@Suite("malformed dump TOCs", .timeLimit(.minutes(30)))
struct MalformedTOCTests {
    @Test("duplicate ids, dependency cycles and (in our archives) dependencies on missing ids are refused as corrupt")
    func refused() throws {
        let cases: [(String, [UInt8], String)] = [
            ("duplicate id", try craftedDump(post: [(3, [1]), (3, [1])]), "two entries with id 3"),
            ("cycle", try craftedDump(post: [(3, [1, 5]), (4, [3]), (5, [4])]), "cycle"),
            ("self-dependency", try craftedDump(post: [(3, [3])]), "cycle"),
            ("cycle through pre-data", try craftedDump(post: [(3, [1])], extraDeps: [3]), "cycle"),
            ("missing id", try craftedDump(post: [(3, [1, 99])]), "depends on id 99"),
        ]
        for (name, bytes, message) in cases {
            let error = #expect(throws: DumpError.self, "\(name)") { _ = try readTOC(bytes) }
            #expect(error?.code == .corrupt, "\(name)")
            #expect(error?.message.contains(message) == true, "\(name): \(error?.message ?? "")")
        }
    }

    @Test("stock pg_dump archives may depend on ids they lack (the public schema's ACL): accepted, as pg_restore does")
    func stockDanglingDependency() throws {
        let bytes = try craftedDump(post: [(3, [1, 5])], dumper: "15.18 (Debian 15.18-0+deb12u1)")
        #expect(try readTOC(bytes).count == 3)
    }

    @Test("the restore engine refuses a malformed TOC before it connects: no crash, no hang")
    func restoreRefuses() throws {
        // Port 1 answers nothing: a TOC that got past the check would fail with a PGError instead.
        var target = ConnectionSettings(host: "127.0.0.1", port: 1, user: "nobody", database: "nothing")
        target.connectTimeout = 2
        for bytes in [try craftedDump(post: [(3, [1]), (3, [1])]), try craftedDump(post: [(3, [1, 4]), (4, [3])])] {
            let decoder = CustomArchiveDecoder(source: memorySource(bytes))
            let error = #expect(throws: DumpError.self) { _ = try RestoreEngine(target: target).restore(from: decoder) }
            #expect(error?.code == .corrupt)
        }
    }
}

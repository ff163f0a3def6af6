import Foundation
import PGDump
import PGWire
import TestHarness
import Testing

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

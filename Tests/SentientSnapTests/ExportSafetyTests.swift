import ArchiveWriter
import Foundation
import PGDump
import SentientSnap
import TestHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A dump whose header and TOC names carry psql meta-commands after line breaks (`\n` and
/// `\r`, which also ends a psql comment), all of which the SQL export must keep inert.
private func hostileDump(touching file: String) throws -> [UInt8] {
    let inject = "\\! touch \(file)"
    var dump: [UInt8] = []
    let encoder = CustomArchiveEncoder { dump.append(contentsOf: $0) }
    try encoder.writeHeader(DumpHeader(
        createdAt: Date(timeIntervalSince1970: 1_735_732_800), databaseName: "d",
        serverVersion: "15.0\n\(inject)", dumperVersion: "pg_dump\r\(inject)"))
    var encoding = TOCEntry(dumpId: 1, tag: "ENCODING", desc: "ENCODING", section: .preData)
    encoding.defn = "SET client_encoding = 'UTF8';\n"
    var std = TOCEntry(dumpId: 2, tag: "STDSTRINGS", desc: "STDSTRINGS", section: .preData)
    std.defn = "SET standard_conforming_strings = 'on';\n"
    var schema = TOCEntry(dumpId: 3, tag: "s\n\(inject)", desc: "SCHEMA", section: .preData)
    schema.defn = "CREATE SCHEMA s;\n"
    schema.owner = "o\n\(inject)"
    var table = TOCEntry(dumpId: 4, tag: "t\r\(inject)", desc: "TABLE", section: .preData)
    table.defn = "CREATE TABLE s.t (n integer);\n"
    table.namespace = "s\n\(inject)"
    table.owner = "o\r\n\(inject)"
    table.dependencies = [3]
    var data = TOCEntry(dumpId: 5, tag: "t\n\(inject)", desc: "TABLE DATA", section: .data)
    data.hadDumper = true
    data.dataOffset = .notSet
    data.copyStmt = "COPY s.t (n) FROM stdin;\n"
    data.namespace = "s\r\(inject)"
    data.dependencies = [4]
    try encoder.writeTOC([encoding, std, schema, table, data])
    try encoder.beginData(dumpId: 5)
    try encoder.writeData(Array("1\n2\n\\.\n\n\n".utf8))
    try encoder.endData()
    return dump
}

@Suite("export: safe output", .timeLimit(.minutes(30)))
struct ExportSafetyTests {
    @Test("export --sql starts with \\restrict KEY and ends with \\unrestrict KEY; archive names cannot inject psql meta-commands")
    func restrictAndSanitize() throws {
        let dir = try TempDir(prefix: "snap-exsafe")
        let pwned = dir.file("pwned-\(UUID().uuidString)")
        let archive = dir.file("hostile.tar.gz")
        try writeArchive(archive, dump: try hostileDump(touching: pwned))
        let out = dir.file("out.sql")
        _ = try DumpExport.export(archive: archive, to: out, format: .sql)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        // psql ends a line (and a comment) at \n or \r.
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).map(String.init)
        let first = try #require(lines.first)
        let last = try #require(lines.last)
        let key = String(first.dropFirst("\\restrict ".count))
        #expect(first.hasPrefix("\\restrict "), "first line: \(first)")
        #expect(key.count >= 32 && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }, "key: \(key)")
        #expect(last == "\\unrestrict \(key)", "last line: \(last)")
        let backslashed = lines.filter { $0.hasPrefix("\\") && $0 != "\\." && $0 != first && $0 != last }
        #expect(backslashed.isEmpty, "meta-command lines: \(backslashed)")
        #expect(!text.contains("\r"), "a carriage return reached the script")
        // A second export draws another key.
        let again = dir.file("again.sql")
        _ = try DumpExport.export(archive: archive, to: again, format: .sql)
        #expect(try String(contentsOfFile: again, encoding: .utf8).split(separator: "\n").first.map(String.init) != first)

        // psql (15.14+ knows \restrict) runs the script to its end and runs no shell command.
        let server = try TestPostgres.shared()
        let db = try server.createDatabase(prefix: "ex_safe")
        defer { try? db.drop() }
        let psql = try server.runTool("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", out], database: db.name)
        #expect(psql.status == 0, "\(psql.stderr)")
        #expect(try db.psql("SELECT count(*) FROM s.t") == "2")
        #expect(!FileManager.default.fileExists(atPath: pwned), "a psql meta-command from the archive ran")
    }

    @Test("export refuses an existing output and never follows a planted link (exit 73, nothing changed)")
    func exclusiveOutput() throws {
        let dir = try TempDir(prefix: "snap-exout")
        let archive = dir.file("a.tar.gz")
        try writeArchive(archive, dump: try craftedDump())
        let victim = dir.file("victim")
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)

        // An existing file, and a link to the victim, where the output goes.
        let existing = dir.file("existing.sql")
        try "mine\n".write(toFile: existing, atomically: true, encoding: .utf8)
        let linked = dir.file("linked.sql")
        symlink(victim, linked)
        for (output, format) in [(existing, DumpExport.Format.sql), (linked, .sql), (linked, .dump)] {
            let error = #expect(throws: SnapError.self, "\(output)") { _ = try DumpExport.export(archive: archive, to: output, format: format) }
            #expect(error?.code == .outputNotCreatable, "\(output)")
            #expect(error?.message.contains("exists") == true, "\(error?.message ?? "")")
        }
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "mine\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: linked) == victim)

        // A link planted where a temp file might go is not followed either.
        let fresh = dir.file("fresh.sql")
        symlink(victim, dir.file(".fresh.sql.partial"))
        _ = try DumpExport.export(archive: archive, to: fresh, format: .sql)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n", "a planted link was followed")
        var info = stat()
        #expect(lstat(fresh, &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: fresh, encoding: .utf8).contains("COPY public.t"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".partial") && $0 != ".fresh.sql.partial" }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}

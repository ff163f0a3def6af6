import Foundation
import PGDump
import TestHarness
import Testing

/// Bytes of a hex dump in `xxd` format (the format doc's worked example, §10).
func bytesFromXXD(_ path: String) throws -> [UInt8] {
    var out: [UInt8] = []
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let hexPart = line[line.index(after: colon)...].prefix(41)
        for group in hexPart.split(separator: " ") {
            var chars = Array(group)
            while chars.count >= 2 {
                out.append(UInt8(String(chars[0..<2]), radix: 16)!)
                chars.removeFirst(2)
            }
        }
    }
    return out
}

/// A decoder source that serves `bytes`, in pieces of at most `piece` bytes.
func memorySource(_ bytes: [UInt8], piece: Int = 1000) -> CustomArchiveDecoder.Source {
    var offset = 0
    return { buffer in
        let n = min(buffer.count, bytes.count - offset, piece)
        bytes.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

@Suite("custom archive format", .timeLimit(.minutes(30)))
struct CustomFormatTests {
    /// The 727-byte archive from the format doc, rebuilt with our encoder.
    func encodeDocExample() throws -> [UInt8] {
        var out: [UInt8] = []
        let encoder = CustomArchiveEncoder { out.append(contentsOf: $0) }
        try encoder.writeHeader(DumpHeader(
            createdAt: Date(timeIntervalSince1970: 1_735_732_800), databaseName: "d", serverVersion: "15", dumperVersion: "15"))
        var encoding = TOCEntry(dumpId: 1, tag: "ENCODING", desc: "ENCODING", section: .preData)
        encoding.defn = "SET client_encoding = 'UTF8';\n"
        var std = TOCEntry(dumpId: 2, tag: "STDSTRINGS", desc: "STDSTRINGS", section: .preData)
        std.defn = "SET standard_conforming_strings = 'on';\n"
        var table = TOCEntry(dumpId: 3, tag: "t", desc: "TABLE", section: .preData)
        table.tableOID = "1259"
        table.oid = "16384"
        table.defn = "CREATE TABLE public.t (n integer);\n"
        table.dropStmt = "DROP TABLE public.t;\n"
        table.namespace = "public"
        table.tablespace = ""
        table.tableAM = "heap"
        var data = TOCEntry(dumpId: 4, tag: "t", desc: "TABLE DATA", section: .data)
        data.hadDumper = true
        data.oid = "16384"
        data.copyStmt = "COPY public.t (n) FROM stdin;\n"
        data.namespace = "public"
        data.dependencies = [3]
        data.dataOffset = .set(0x2be)
        try encoder.writeTOC([encoding, std, table, data])
        try encoder.beginData(dumpId: 4)
        try encoder.writeData(Array("1\n2\n\\.\n\n\n".utf8))
        try encoder.endData()
        return out
    }

    @Test("our encoder reproduces the format doc's worked example byte for byte (except local-time fields)")
    func matchesWorkedExample() throws {
        let expected = try bytesFromXXD(fixturePath("format-doc-example.hex"))
        let actual = try encodeDocExample()
        #expect(expected.count == 727)
        #expect(actual.count == expected.count)
        // Bytes 0x10-0x32 hold the creation time as local-time struct tm fields.
        #expect(Array(actual[0..<0x10]) == Array(expected[0..<0x10]))
        #expect(Array(actual[0x33...]) == Array(expected[0x33...]))
    }

    @Test("the decoder reads back header, TOC and data")
    func decodesWorkedExample() throws {
        let bytes = try bytesFromXXD(fixturePath("format-doc-example.hex"))
        let decoder = CustomArchiveDecoder(source: memorySource(bytes))
        let header = try decoder.readHeader()
        #expect(header.version == ArchiveVersion(1, 14))
        #expect(header.compression == .none)
        #expect(header.databaseName == "d")
        let toc = try decoder.readTOC()
        #expect(toc.map { $0.desc } == ["ENCODING", "STDSTRINGS", "TABLE", "TABLE DATA"])
        #expect(toc[3].dependencies == [3])
        #expect(toc[3].dataOffset == DataOffset.set(0x2be))
        let block = try decoder.nextBlock()
        #expect(block?.dumpId == 4)
        var data: [UInt8] = []
        try decoder.readTableData { data.append(contentsOf: $0) }
        #expect(String(decoding: data, as: UTF8.self) == "1\n2\n\\.\n\n\n")
        #expect(try decoder.nextBlock() == nil)
    }

    @Test("truncated or damaged dumps are clear errors, never crashes")
    func damagedInput() throws {
        let bytes = try bytesFromXXD(fixturePath("format-doc-example.hex"))
        for cut in stride(from: 0, to: bytes.count - 1, by: 7) {
            let part = Array(bytes[0..<cut])
            let decoder = CustomArchiveDecoder(source: memorySource(part))
            #expect(throws: DumpError.self, "cut at \(cut)") {
                _ = try decoder.readHeader()
                _ = try decoder.readTOC()
                guard try decoder.nextBlock() != nil else { throw DumpError(.truncated, "no block") }
                try decoder.readTableData { _ in }
            }
        }
        var wrongMagic = bytes
        wrongMagic[0] = UInt8(ascii: "X")
        let decoder = CustomArchiveDecoder(source: memorySource(wrongMagic))
        let error = #expect(throws: DumpError.self) { _ = try decoder.readHeader() }
        #expect(error?.code == .corrupt)
    }
}

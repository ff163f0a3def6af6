import Foundation
import PGWire
import TestHarness
import Testing

@Suite("COPY", .timeLimit(.minutes(30)))
struct CopyTests {
    /// Creates `big(id, digest)` with `rows` rows, about 40 bytes of COPY text each.
    private func makeBigTable(_ c: Connection, rows: Int) throws {
        try c.execute(
            """
            CREATE TABLE big AS
              SELECT g AS id, md5(g::text) AS digest FROM generate_series(1, \(rows)) AS g;
            """)
        // A synchronized scan could start mid-table and reorder the COPY output.
        try c.execute("SET synchronize_seqscans = off")
    }

    @Test func copyOutStreamsAMillionRowsInRowAlignedChunks() throws {
        try withDatabase("copy_out") { _, c in
            let rows = 1_000_000
            try makeBigTable(c, rows: rows)
            let expected = try #require(
                try c.query(
                    """
                    SELECT sum(octet_length(id::text || E'\\t' || digest || E'\\n'))::bigint,
                           md5(string_agg(id::text || E'\\t' || digest || E'\\n', '' ORDER BY id))
                    FROM big
                    """
                ).first)
            let expectedBytes = try expected.get(0, as: Int64.self)
            let expectedMD5 = try expected.get(1, as: String.self)

            let chunkSize = 64 * 1024
            var md5 = MD5()
            var streamed: Int64 = 0
            var newlines = 0
            var chunks = 0
            var largest = 0
            var misaligned = 0
            let total = try c.copyOut("COPY big TO STDOUT", chunkSize: chunkSize) { chunk in
                chunks += 1
                streamed += Int64(chunk.count)
                largest = max(largest, chunk.count)
                if chunk.last != UInt8(ascii: "\n") { misaligned += 1 }
                for byte in chunk where byte == UInt8(ascii: "\n") { newlines += 1 }
                md5.update(chunk)
            }
            #expect(total == expectedBytes)
            #expect(streamed == expectedBytes)
            #expect(newlines == rows)
            #expect(misaligned == 0, "chunks must end on a row boundary")
            #expect(largest <= chunkSize)
            #expect(chunks >= Int(expectedBytes) / chunkSize)
            #expect(md5.finalizeHex() == expectedMD5)
            // Idle again afterwards.
            #expect(try c.query("SELECT count(*) FROM big").first?[0] == String(rows))
        }
    }

    @Test func copyOutPassesRowsLargerThanAChunkWhole() throws {
        try withDatabase("copy_wide") { _, c in
            try c.execute("CREATE TABLE wide AS SELECT g AS id, repeat('w', 10000 * g) AS blob FROM generate_series(1, 3) g")
            var sizes: [Int] = []
            try c.copyOut("COPY wide TO STDOUT", chunkSize: 4096) { chunk in
                sizes.append(chunk.count)
                #expect(chunk.last == UInt8(ascii: "\n"))
            }
            #expect(sizes == [10003, 20003, 30003])
        }
    }

    @Test func copyOutOfAQueryWithOptions() throws {
        try withDatabase("copy_query") { _, c in
            var text = ""
            try c.copyOut("COPY (SELECT g, 'ü' || g FROM generate_series(1, 3) g) TO STDOUT (FORMAT csv, HEADER)") { chunk in
                text += String(decoding: chunk, as: UTF8.self)
            }
            #expect(text == "g,?column?\n1,ü1\n2,ü2\n3,ü3\n")
        }
    }

    @Test func copyOutOfAMissingTableIsAQueryError() throws {
        try withDatabase("copy_missing") { _, c throws in
            let error = pgError { try c.copyOut("COPY nope TO STDOUT") { _ in } }
            #expect(error?.code == .query)
            #expect(error?.sqlState == "42P01")
            #expect(try c.query("SELECT 1").first?[0] == "1")
        }
    }

    @Test func throwingMidCopyOutLeavesTheConnectionUsable() throws {
        try withDatabase("copy_out_throw") { _, c in
            try makeBigTable(c, rows: 300_000)
            var seen = 0
            let started = Date()
            #expect(throws: BodyError(tag: "stop reading")) {
                try c.copyOut("COPY big TO STDOUT", chunkSize: 16 * 1024) { _ in
                    seen += 1
                    if seen == 3 { throw BodyError(tag: "stop reading") }
                }
            }
            #expect(seen == 3)
            #expect(Date().timeIntervalSince(started) < 30)
            #expect(c.isAlive)
            #expect(try c.query("SELECT count(*) FROM big").first?[0] == "300000")
            // And COPY works again on the same session.
            var bytes = 0
            try c.copyOut("COPY (SELECT 1) TO STDOUT") { bytes += $0.count }
            #expect(bytes == 2)
        }
    }

    @Test(.timeLimit(.minutes(30)))
    func terminatedBackendMidCopyOutIsAnErrorNotAHang() throws {
        try withDatabase("copy_out_kill") { db, c in
            try makeBigTable(c, rows: 1_000_000)
            let pid = c.backendPID
            var chunks = 0
            let started = Date()
            let error = pgError {
                try c.copyOut("COPY big TO STDOUT", chunkSize: 16 * 1024) { _ in
                    chunks += 1
                    if chunks == 1 {
                        try db.server.admin { admin in
                            _ = try admin.query("SELECT pg_terminate_backend($1)", [pid])
                        }
                    }
                }
            }
            #expect(error?.code == .connectionLost || error?.code == .copy, "\(String(describing: error))")
            #expect(Date().timeIntervalSince(started) < 60)
            #expect(!c.isAlive)
            #expect(pgError { _ = try c.query("SELECT 1") }?.code == .connectionLost)
        }
    }

    @Test func copyInFromOddSizedPiecesSplitMidRow() throws {
        try withDatabase("copy_in") { _, c in
            try c.execute("CREATE TABLE target(id int PRIMARY KEY, label text, note text)")
            let rows = 100_000
            var text = ""
            text.reserveCapacity(rows * 40)
            for i in 1...rows {
                let note = i % 7 == 0 ? "\\N" : "tab\\there ñ \(i % 13)"
                text += "\(i)\tlabel-\(i)-€\t\(note)\n"
            }
            let bytes = Array(text.utf8)
            // Piece sizes cycle through odd values, so splits land mid-row and mid-character.
            let pieces = [1, 7, 4093, 3, 65_537, 13, 999, 2]
            var offset = 0
            var piece = 0
            let reported = try c.copyIn("COPY target FROM STDIN") { writer in
                while offset < bytes.count {
                    let end = min(bytes.count, offset + pieces[piece % pieces.count])
                    try bytes[offset..<end].withUnsafeBytes { try writer.write($0) }
                    offset = end
                    piece += 1
                }
                #expect(writer.bytesWritten == Int64(bytes.count))
            }
            #expect(reported == rows)
            let summary = try #require(
                try c.query(
                    """
                    SELECT count(*), sum(id), count(*) FILTER (WHERE note IS NULL),
                           md5(string_agg(id || E'\\t' || label || E'\\t' || coalesce(replace(note, E'\\t', '\\t'), '\\N') || E'\\n', '' ORDER BY id))
                    FROM target
                    """
                ).first)
            #expect(try summary.get(0, as: Int.self) == rows)
            #expect(try summary.get(1, as: Int.self) == rows * (rows + 1) / 2)
            #expect(try summary.get(2, as: Int.self) == rows / 7)
            #expect(try summary.get(3, as: String.self) == MD5.hex(bytes))
            #expect(try c.query("SELECT label, note FROM target WHERE id = 77778").first?.values == ["label-77778-€", "tab\there ñ 12"])
        }
    }

    @Test func copyInStringAndByteArrayWriters() throws {
        try withDatabase("copy_in_str") { _, c in
            try c.execute("CREATE TABLE t(a int, b text)")
            let count = try c.copyIn("COPY t FROM STDIN (FORMAT csv)") { writer in
                try writer.write("1,\"x,y\"\n2,")
                try writer.write(Array("plain\n".utf8))
            }
            #expect(count == 2)
            #expect(try c.query("SELECT b FROM t ORDER BY a").rows.map { $0[0] } == ["x,y", "plain"])
        }
    }

    @Test func throwingMidCopyInLeavesTheTableEmptyAndTheConnectionUsable() throws {
        try withDatabase("copy_in_throw") { _, c in
            try c.execute("CREATE TABLE target(id int, label text)")
            #expect(throws: BodyError(tag: "source failed")) {
                try c.copyIn("COPY target FROM STDIN") { writer in
                    for i in 1...5000 { try writer.write("\(i)\trow \(i)\n") }
                    try writer.write("5001\thalf a r")
                    throw BodyError(tag: "source failed")
                }
            }
            #expect(c.isAlive)
            #expect(try c.query("SELECT count(*) FROM target").first?[0] == "0")
            let again = try c.copyIn("COPY target FROM STDIN") { try $0.write("1\tok\n") }
            #expect(again == 1)
        }
    }

    @Test func malformedCopyInDataIsAnErrorWithSQLState() throws {
        try withDatabase("copy_in_bad") { _, c in
            try c.execute("CREATE TABLE target(id int)")
            let error = pgError {
                try c.copyIn("COPY target FROM STDIN") { try $0.write("1\nnot-a-number\n") }
            }
            #expect(error?.sqlState == "22P02")
            #expect(try c.query("SELECT count(*) FROM target").first?[0] == "0")
            #expect(try c.query("SELECT 1").first?[0] == "1")
        }
    }

    @Test func copyInsideATransactionRollsBackWithIt() throws {
        try withDatabase("copy_tx") { _, c in
            try c.execute("CREATE TABLE target(id int)")
            #expect(throws: BodyError(tag: "after copy")) {
                try c.transaction { tx in
                    try tx.copyIn("COPY target FROM STDIN") { try $0.write("1\n2\n3\n") }
                    throw BodyError(tag: "after copy")
                }
            }
            #expect(try c.query("SELECT count(*) FROM target").first?[0] == "0")
        }
    }
}

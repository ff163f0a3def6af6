import Foundation
@testable import PGDump
import PGWire
import TestHarness
import Testing

/// The binary COPY encoder against its oracle: the server's own `COPY ... TO STDOUT (FORMAT
/// binary)` of the same rows it wrote as text. A value the encoder converts must come out byte
/// for byte as the server's; a value it does not read exactly must make it decline.
@Suite("COPY text to binary", .timeLimit(.minutes(10)))
struct CopyBinaryTests {
    /// One column of every converted type, with limits, escapes, NULLs and random values.
    static let table = """
        CREATE TABLE kinds (b bool, i2 int2, i4 int4, i8 int8, t text, vc varchar(12), bc char(5), j json, jb jsonb,
                            d date, ts timestamp, tz timestamptz, u uuid, by bytea);
        SELECT setseed(0.42);
        INSERT INTO kinds SELECT
            CASE g % 3 WHEN 0 THEN true WHEN 1 THEN false END,
            (ARRAY[-32768, -1, 0, 1, 32767, (random() * 60000 - 30000)::int])[1 + g % 6]::int2,
            (ARRAY[-2147483648, -1, 0, 10, 2147483647, (random() * 4e9 - 2e9)::bigint])[1 + g % 6]::int4,
            (ARRAY[-9223372036854775808, -1, 0, 100, 9223372036854775807, (random() * 1.8e19 - 9e18)::numeric])[1 + g % 6]::int8,
            CASE WHEN g % 17 = 0 THEN NULL WHEN g % 17 = 1 THEN '' ELSE
                -- Every ASCII byte but NUL, at every offset of an eight-byte word, and UTF-8.
                substr(repeat('abcdefgh', 3), 1, g % 11) || chr(1 + g % 127) || substr('ijklmnopqrstuvw', 1, g % 13)
                || CASE WHEN g % 5 = 0 THEN E'\\\\N \\\\. ü✓🎲 \\r\\n\\t\\b\\f\\v' ELSE '' END END,
            CASE WHEN g % 4 = 0 THEN 'short ' || (g % 100) ELSE NULL END,
            CASE WHEN g % 3 = 0 THEN 'ab' WHEN g % 3 = 1 THEN 'abcde' END,
            CASE WHEN g % 6 = 0 THEN NULL ELSE json_build_object('g', g, 's', E'q"\\\\ \\t', 'f', random())::json END,
            CASE WHEN g % 7 = 0 THEN NULL ELSE jsonb_build_object('g', g, 'nested', jsonb_build_object('x', E'a\\tb\\nc\\\\'), 'n', random()) END,
            CASE g % 50 WHEN 0 THEN 'infinity'::date WHEN 1 THEN '-infinity'::date WHEN 2 THEN '2000-02-29'::date
                 WHEN 3 THEN '0001-01-01'::date WHEN 4 THEN '9999-12-31'::date WHEN 5 THEN NULL
                 ELSE '0001-01-01'::date + (random() * 3652058)::int END,
            CASE g % 40 WHEN 0 THEN 'infinity'::timestamp WHEN 1 THEN '-infinity'::timestamp WHEN 2 THEN NULL
                 ELSE '0001-01-01'::timestamp + random() * interval '3652058 days' END,
            CASE g % 40 WHEN 0 THEN 'infinity'::timestamptz WHEN 1 THEN '-infinity'::timestamptz WHEN 2 THEN NULL
                 WHEN 3 THEN '1850-06-01 12:00:00.5+00' WHEN 4 THEN '1000-01-01 00:00:00.000001+00'
                 ELSE '0002-01-01'::timestamptz + random() * interval '3651000 days' END,
            CASE g % 9 WHEN 0 THEN NULL WHEN 1 THEN '00000000-0000-0000-0000-000000000000' WHEN 2 THEN 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'
                 ELSE md5(g::text)::uuid END,
            CASE g % 8 WHEN 0 THEN NULL WHEN 1 THEN ''::bytea WHEN 2 THEN decode(repeat('00ff5c0a09', 3), 'hex')
                 ELSE decode(md5(g::text), 'hex') END
        FROM generate_series(1, 6000) g;
        """

    static let allKinds: [CopyBinaryEncoder.Kind] = [.bool, .int2, .int4, .int8, .text, .text, .text, .text, .jsonb,
                                                      .date, .timestamp, .timestamptz, .uuid, .bytea]

    static func copy(_ connection: Connection, _ sql: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try connection.copyOut(sql) { bytes.append(contentsOf: $0) }
        return bytes
    }

    static func encode(_ text: [UInt8], _ kinds: [CopyBinaryEncoder.Kind]) -> [UInt8]? {
        var out = ByteBuffer(capacity: 64)
        let ok = text.withUnsafeBytes { CopyBinaryEncoder(kinds: kinds)!.encode($0, into: &out) }
        return ok ? Array(out.bytes) : nil
    }

    /// The server's binary rows: its output without the 19-byte header and the 2-byte trailer.
    static func serverRows(_ connection: Connection, _ query: String) throws -> [UInt8] {
        let binary = try copy(connection, "COPY (\(query)) TO STDOUT (FORMAT binary)")
        #expect(Array(binary.prefix(19)) == CopyBinaryEncoder.header)
        #expect(Array(binary.suffix(2)) == CopyBinaryEncoder.trailer)
        return Array(binary.dropFirst(19).dropLast(2))
    }

    /// Where two byte strings first differ, with a little of each (whole arrays would flood the log).
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String? {
        guard a != b else { return nil }
        let at = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        return "at byte \(at) of \(a.count)/\(b.count): \(a[at..<min(a.count, at + 16)]) vs \(b[at..<min(b.count, at + 16)])"
    }

    @Test("every type, under time zones with odd offsets: the encoder's rows are the server's binary rows, byte for byte",
          arguments: ["UTC", "Europe/Amsterdam", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "America/Caracas"])
    func matchesServer(zone: String) throws {
        let server = try TestPostgres.shared()
        let database = try server.createDatabase(prefix: "copybin")
        try database.psql(Self.table)
        let connection = try database.connect()
        try connection.execute("SET DateStyle = ISO; SET IntervalStyle = postgres; SET TimeZone = '\(zone)'")
        let query = "SELECT * FROM kinds"
        let text = try Self.copy(connection, "COPY (\(query)) TO STDOUT")
        let expected = try Self.serverRows(connection, query)
        let encoded = try #require(Self.encode(text, Self.allKinds))
        #expect(encoded.count == expected.count)
        #expect(Self.firstDifference(encoded, expected) == nil)
        // The text ended by pg_dump's end marker: the same rows, and nothing after it counts.
        let marked = try #require(Self.encode(text + Array("\\.\n".utf8) + Array("garbage\n".utf8), Self.allKinds))
        #expect(Self.firstDifference(marked, expected) == nil)
        // Each row on its own too (rows cut anywhere between lines convert alike).
        var joined: [UInt8] = []
        for line in text.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            joined += try #require(Self.encode(Array(line) + [0x0A], Self.allKinds))
        }
        #expect(Self.firstDifference(joined, expected) == nil)
    }

    @Test("values the encoder does not read exactly are left to the server (BC, year 10000, escapes it never sees, odd numbers)")
    func declines() throws {
        let server = try TestPostgres.shared()
        let database = try server.createDatabase(prefix: "copybin_no")
        let connection = try database.connect()
        try connection.execute("SET DateStyle = ISO; SET TimeZone = 'UTC'")
        // Values the server writes that the encoder must not convert.
        for (kind, value) in [(CopyBinaryEncoder.Kind.date, "'0044-03-15 BC'::date"), (.date, "'10000-01-01'::date"),
                              (.timestamp, "'0001-01-01 00:00:00 BC'::timestamp"), (.timestamptz, "'20000-01-01 00:00+00'::timestamptz")] {
            let text = try Self.copy(connection, "COPY (SELECT \(value)) TO STDOUT")
            #expect(Self.encode(text, [kind]) == nil, "\(value)")
        }
        // Text the server never writes, that its COPY input still reads its own way.
        let declined: [(CopyBinaryEncoder.Kind, String)] = [
            (.text, "a\\101b"), (.text, "a\\x41"), (.text, "a\\qb"), (.text, "ends with \\"), (.text, "raw\rcr"), (.text, "raw\0nul"), (.jsonb, "{\"a\": \"\0\"}"),
            (.int4, "+1"), (.int4, "01"), (.int4, "-0"), (.int4, " 1"), (.int4, "2147483648"), (.int2, "32768"),
            (.int8, "9223372036854775808"), (.int8, "1_000"), (.bool, "true"), (.bool, "1"),
            (.date, "2023-02-29"), (.date, "2024-13-01"), (.date, "24-01-01"), (.date, "0000-01-01"),
            (.timestamp, "2024-01-01 24:00:00"), (.timestamp, "2024-01-01 10:00:00.1234567"), (.timestamp, "2024-01-01T10:00:00"),
            (.timestamp, "2024-01-01 10:00:00."), (.timestamptz, "2024-01-01 10:00:00"), (.timestamptz, "2024-01-01 10:00:00+1"),
            (.timestamptz, "2024-01-01 10:00:00 UTC"), (.uuid, "{00000000-0000-0000-0000-000000000000}"),
            (.uuid, "0000000000000000000000000000000g"), (.bytea, "\\\\x0"), (.bytea, "\\\\000"), (.bytea, "\\\\xzz"),
        ]
        for (kind, field) in declined {
            #expect(Self.encode(Array((field + "\n").utf8), [kind]) == nil, "\(field)")
        }
        // A row with too few or too many fields, and one without its newline.
        #expect(Self.encode(Array("1\n".utf8), [.int4, .int4]) == nil)
        #expect(Self.encode(Array("1\t2\t3\n".utf8), [.int4, .int4]) == nil)
        #expect(Self.encode(Array("1\t2".utf8), [.int4, .int4]) == nil)
        // One declined row declines the whole piece, and leaves what was already there.
        var out = ByteBuffer(capacity: 8)
        let kept = Array("1\t2\n".utf8).withUnsafeBytes { CopyBinaryEncoder(kinds: [.int4, .int4])!.encode($0, into: &out) }
        #expect(kept)
        let before = Array(out.bytes)
        let refused = Array("3\t4\n5\tx\n".utf8).withUnsafeBytes { CopyBinaryEncoder(kinds: [.int4, .int4])!.encode($0, into: &out) }
        #expect(!refused)
        #expect(Array(out.bytes) == before)
    }

    @Test("a restore sends convertible pieces as binary and the rest as text, over two connections, and the rows come out equal")
    func mixedRestore() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "copybin_src")
        try source.psql("""
            \(Self.table)
            -- A stretch of BC timestamps in the middle: those pieces go as text.
            CREATE TABLE history (id bigserial PRIMARY KEY, at timestamptz, note text);
            INSERT INTO history (at, note) SELECT '2024-01-01'::timestamptz + g * interval '1 minute', 'entry ' || g FROM generate_series(1, 20000) g;
            INSERT INTO history (at, note) SELECT '0100-01-01 BC'::timestamptz + g * interval '1 day', E'old\\t' || g FROM generate_series(1, 3000) g;
            INSERT INTO history (at, note) SELECT '2025-01-01'::timestamptz + g * interval '1 minute', 'late ' || g FROM generate_series(1, 20000) g;
            -- A numeric column keeps a table in text.
            CREATE TABLE prices (id int, amount numeric);
            INSERT INTO prices SELECT g, g / 7.0 FROM generate_series(1, 1000) g;
            -- Names the COPY statement quotes, a generated column it leaves out, a dropped column,
            -- an inherited one: the statement's column list still finds its types.
            CREATE TABLE "Room Log" ("order" int, "When" timestamptz, gone text, doubled int GENERATED ALWAYS AS ("order" * 2) STORED, note text);
            ALTER TABLE "Room Log" DROP COLUMN gone;
            INSERT INTO "Room Log" ("order", "When", note) SELECT g, '2024-01-01'::timestamptz + g * interval '1 s', 'n' || g FROM generate_series(1, 2000) g;
            CREATE TABLE child_log (extra bool) INHERITS ("Room Log");
            INSERT INTO child_log ("order", "When", note, extra) SELECT g, now(), 'c', g % 2 = 0 FROM generate_series(1, 500) g;
            """)
        let bytes = try dumpWithOurDumper(source)
        let target = try server.createDatabase(prefix: "copybin_dst")
        var options = RestoreOptions()
        options.jobs = 2
        options.copyChunkBytes = 16384
        let stats = try RestoreEngine(target: target.settings, options: options)
            .restore(from: CustomArchiveDecoder(source: memorySource(bytes, piece: 7000)))
        #expect(stats.rows["public.history"] == 43000)
        #expect(stats.rows["public.kinds"] == 6000)
        let history = try #require(stats.copyChunks["public.history"])
        #expect(history.binary > 10 && history.text > 0 && history.text < history.binary, "\(history)")
        #expect(stats.copyChunks["public.kinds"]?.text == 0)
        #expect((stats.copyChunks["public.kinds"]?.binary ?? 0) > 0)
        #expect(stats.copyChunks["public.prices"]?.binary == 0 && (stats.copyChunks["public.prices"]?.text ?? 0) > 0)
        for table in ["public.Room Log", "public.child_log"] {
            #expect((stats.copyChunks[table]?.binary ?? 0) > 0 && stats.copyChunks[table]?.text == 0, "\(table): \(String(describing: stats.copyChunks[table]))")
        }
        #expect(try checksums(target) == checksums(source))
        #expect(try target.psql("SELECT sum(doubled) FROM ONLY \"Room Log\"") == source.psql("SELECT sum(doubled) FROM ONLY \"Room Log\""))

        // The same archive sent as text alone restores the same rows.
        let plain = try server.createDatabase(prefix: "copybin_txt")
        options.binaryCopy = false
        let textStats = try RestoreEngine(target: plain.settings, options: options)
            .restore(from: CustomArchiveDecoder(source: memorySource(bytes, piece: 7000)))
        #expect(textStats.copyChunks["public.kinds"]?.binary == 0)
        #expect(try checksums(plain) == checksums(source))
    }

    @Test("rows the server refuses as binary name --text-copy in the message; an error of the rows themselves does not")
    func refusedBinaryNamesTextCopy() throws {
        let server = try TestPostgres.shared()
        let database = try server.createDatabase(prefix: "copybin_hint")
        try database.psql("CREATE TABLE t (a int4, b int8)")
        let connection = try database.connect()
        func load(_ kinds: [CopyBinaryEncoder.Kind], _ rows: String) throws {
            let text = Array(rows.utf8)
            _ = try ParallelCopyIn(connections: [connection]).load(
                "COPY public.t (a, b) FROM stdin;",
                binary: ("COPY public.t (a, b) FROM stdin (FORMAT binary);", try #require(CopyBinaryEncoder(kinds: kinds))),
                from: { deliver in try text.withUnsafeBytes { try deliver($0) } })
        }
        // A converter that got the types wrong (8 bytes for the int4, 4 for the int8).
        for kinds: [CopyBinaryEncoder.Kind] in [[.int8, .int8], [.int4, .int4]] {
            do {
                try load(kinds, "1\t2\n")
                Issue.record("the server took \(kinds)")
            } catch let error as PGError {
                let hinted = RestoreEngine.hintingTextCopy(error)
                #expect(hinted.hint?.contains("restore with --text-copy") == true, "\(error.sqlState ?? "-"): \(error.serverMessage)")
            }
        }
        // Rows that are wrong whatever the format (a NULL where none may go) keep their message.
        try database.psql("ALTER TABLE t ALTER a SET NOT NULL")
        do {
            try load([.int4, .int8], "\\N\t2\n")
            Issue.record("the server took a NULL in a NOT NULL column")
        } catch let error as PGError {
            #expect(error.sqlState == "23502")
            #expect(RestoreEngine.hintingTextCopy(error).hint == error.hint)
        }
        #expect(try database.psql("SELECT count(*) FROM t") == "0")
    }

    @Test("an archive in an encoding whose characters hold ASCII bytes (pg_dump -E SJIS) goes as text: a 0x5C inside a character is no escape")
    func clientOnlyEncodingStaysText() throws {
        let server = try TestPostgres.shared()
        let source = try server.createDatabase(prefix: "copybin_sjis")
        // In Shift JIS, ソ, 表 and 能 end in 0x5C, the backslash; here each is followed by a
        // letter of an escape, a tab or a real backslash (both of which COPY escapes).
        try source.psql("""
            CREATE TABLE notes (id int, note text, at timestamptz);
            INSERT INTO notes SELECT g, (ARRAY['ソn', '表t', E'ソ\tx', 'ソ\\n', '表b能f'])[1 + g % 5] || g, now() FROM generate_series(1, 3000) g;
            """)
        let dir = try TempDir()
        let file = dir.file("sjis.dump")
        let dump = try server.runTool("pg_dump", ["-Fc", "-E", "SJIS", "-f", file, source.name])
        try #require(dump.status == 0, "\(dump.stderr)")
        let target = try server.createDatabase(prefix: "copybin_sjis_dst")
        var options = RestoreOptions()
        options.copyChunkBytes = 16384
        let stats = try RestoreEngine(target: target.settings, options: options)
            .restore(from: CustomArchiveDecoder(source: memorySource([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))))
        #expect(stats.copyChunks["public.notes"]?.binary == 0, "\(String(describing: stats.copyChunks["public.notes"]))")
        #expect(try checksums(target) == checksums(source))
    }
}

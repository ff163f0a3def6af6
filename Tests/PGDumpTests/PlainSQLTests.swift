import Foundation
import PGDump
import TestHarness
import Testing

@Suite("plain-SQL dumps", .timeLimit(.minutes(30)))
struct PlainSQLTests {
    @Test("stock pg_dump's plain output of the kitchen sink restores equal, without psql")
    func kitchenSinkPlain() throws {
        let server = try TestPostgres.shared()
        let source = try loadFixture(["kitchen-sink.sql"], prefix: "plain_src")
        let dir = try TempDir()
        let file = dir.file("dump.sql")
        let dump = try server.runTool("pg_dump", ["-f", file, source.name])
        #expect(dump.status == 0, "\(dump.stderr)")
        let target = try server.createDatabase(prefix: "plain_dst")
        guard let handle = FileHandle(forReadingAtPath: file) else { throw HarnessError("no dump") }
        defer { try? handle.close() }
        let stats = try PlainSQLRestore(target: target.settings).restore { buffer in
            let data = handle.readData(ofLength: min(buffer.count, 7000))
            data.copyBytes(to: buffer.bindMemory(to: UInt8.self), count: data.count)
            return data.count
        }
        #expect(stats.rows["public.players"] == 2000)
        #expect(try schemaOnly(target) == schemaOnly(source))
        #expect(try checksums(target) == checksums(source))
    }

    @Test("literals, identifiers, dollar quotes and comments hide semicolons; \\connect is refused")
    func splitting() throws {
        let server = try TestPostgres.shared()
        let target = try server.createDatabase(prefix: "plain_split")
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE "semi;colon" (v text); /* block ; comment /* nested; */ still */
            INSERT INTO "semi;colon" VALUES ('it''s; fine'), (E'back\\\\slash\\'; quote');
            CREATE FUNCTION f(a int) RETURNS int LANGUAGE plpgsql AS $body$
            BEGIN RETURN a + $1; END;
            $body$;
            COPY "semi;colon" (v) FROM stdin;
            copied; line
            \\.
            SELECT 1
            """
        var bytes = Array(script.utf8)
        let stats = try PlainSQLRestore(target: target.settings).restore { buffer in
            let n = min(buffer.count, bytes.count, 5)
            buffer.copyBytes(from: bytes.prefix(n))
            bytes.removeFirst(n)
            return n
        }
        #expect(stats.rows["\"semi;colon\""] == 1)
        #expect(try target.psql("SELECT string_agg(v, '|' ORDER BY v) FROM \"semi;colon\"") == "back\\slash'; quote|copied; line|it's; fine")
        #expect(try target.psql("SELECT f(2)") == "4")

        var connect = Array("CREATE TABLE a (x int);\n\\connect other\nCREATE TABLE b (x int);\n".utf8)
        let error = #expect(throws: DumpError.self) {
            _ = try PlainSQLRestore(target: target.settings).restore { buffer in
                let n = min(buffer.count, connect.count)
                buffer.copyBytes(from: connect.prefix(n))
                connect.removeFirst(n)
                return n
            }
        }
        #expect(error?.message.contains("\\connect") == true)
    }
}

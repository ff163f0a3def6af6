import Foundation
import PGWire
import TestHarness
import Testing

/// The harness itself: if these fail, every integration test's result is suspect.
@Suite("Test harness", .timeLimit(.minutes(30)))
struct HarnessTests {
    @Test func runProcessCapturesOutputStatusAndStdin() throws {
        let result = try runProcess(
            "/bin/sh", ["-c", "cat; echo err >&2; echo \"$SNAP_X\"; exit 3"],
            environment: ["SNAP_X": "from-env"], stdin: "piped\n")
        #expect(result.status == 3)
        #expect(result.stdout == "piped\nfrom-env\n")
        #expect(result.stderr == "err\n")
        #expect(!result.timedOut)
    }

    @Test func runProcessLooksUpPathAndHonoursDirectory() throws {
        let dir = try TempDir()
        let result = try runProcess("pwd", [], currentDirectory: dir.path)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == dir.path)
        #expect(throws: HarnessError.self) { try runProcess("no-such-tool-\(UUID().uuidString)", []) }
    }

    @Test func runProcessKillsOnTimeout() throws {
        let start = Date()
        let result = try runProcess("/bin/sh", ["-c", "sleep 30"], timeout: 0.5)
        #expect(result.timedOut)
        #expect(result.status == 128 + 9)
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func runProcessHandlesLargeOutputBothStreams() throws {
        // More than a pipe buffer on both streams at once: deadlocks if not read concurrently.
        let result = try runProcess(
            "/bin/sh", ["-c", "head -c 3000000 /dev/zero | tr '\\0' a; head -c 3000000 /dev/zero | tr '\\0' b >&2"])
        #expect(result.stdout.utf8.count == 3_000_000)
        #expect(result.stderr.utf8.count == 3_000_000)
    }

    @Test func tempDirIsRemovedOnDeinit() throws {
        var path = ""
        do {
            let dir = try TempDir(prefix: "snap-harness")
            path = dir.path
            #expect(FileManager.default.createFile(atPath: dir.file("x"), contents: Data("1".utf8)))
            #expect(FileManager.default.fileExists(atPath: path))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func freePortIsFree() throws {
        let port = try freeLoopbackPort()
        #expect(port > 1024 && port < 65536)
    }

    @Test func md5MatchesKnownVectors() throws {
        #expect(MD5.hex(Array("".utf8)) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(
            MD5.hex(Array("The quick brown fox jumps over the lazy dog".utf8)) == "9e107d9d372bb6826bd81d3542a419d6")
        // Incremental updates in odd pieces give the same digest as one update.
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var md5 = MD5()
        var index = 0
        var step = 1
        while index < bytes.count {
            let end = min(bytes.count, index + step)
            md5.update(Array(bytes[index..<end]))
            index = end
            step = step * 3 % 97 + 1
        }
        #expect(md5.finalizeHex() == MD5.hex(bytes))
        let reference = try runProcess("md5sum", [], stdin: String(decoding: bytes.map { $0 & 0x7f }, as: UTF8.self))
        #expect(reference.stdout.hasPrefix(MD5.hex(bytes.map { $0 & 0x7f })))
    }

    @Test func runMeasuredReportsTheChildNotTheTestProcess() throws {
        // Grow this process well past the child's size first: a naive wait4 of a
        // posix_spawn'd child would report this process's peak instead.
        let ballast = [UInt8](repeating: 1, count: 200 << 20)
        let (result, rss) = try runMeasured("/bin/sh", ["-c", "exit 4"])
        #expect(ballast.count == 200 << 20)
        #expect(result.status == 4)
        #expect(rss > 0)
        #expect(rss < 50 << 20, "a tiny shell measured at \(rss) bytes")
    }

    @Test func serverIsUpAndToolsWork() throws {
        let server = try TestPostgres.shared()
        #expect(server.serverVersionNumber >= 130000)
        let db = try server.createDatabase(prefix: "Harness-Self Test")
        #expect(db.name.hasPrefix("harnessselftest_"))
        #expect(db.name.utf8.count <= 63)
        #expect(try db.psql("CREATE TABLE t(x int); INSERT INTO t VALUES (1),(2); SELECT sum(x) FROM t;") == "3")
        #expect(throws: HarnessError.self) { try db.psql("SELECT * FROM no_such_table") }
        let dump = try server.runTool("pg_dump", ["--schema-only"], database: db.name)
        #expect(dump.succeeded, "\(dump)")
        #expect(dump.stdout.contains("CREATE TABLE public.t"))
        let connection = try db.connect()
        #expect(try connection.query("SELECT current_database()").first?[0] == db.name)
        try server.dropDatabase(db.name)
        #expect(throws: PGError.self) { try db.connect() }
    }

    @Test func longPrefixesAreShortened() throws {
        let server = try TestPostgres.shared()
        let db = try server.createDatabase(prefix: String(repeating: "long", count: 30))
        defer { try? db.drop() }
        #expect(db.name.utf8.count <= 63)
        #expect(db.name.hasPrefix("longlong"))
    }
}

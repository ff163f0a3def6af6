import ArchiveWriter
import Foundation
import PGWire
import TestHarness
import Testing

/// Peak memory of PGWire's COPY streaming, measured in a child process (snap-probe) so neither
/// the test process's own allocations nor other parallel tests can hide or fake a leak.
///
/// snap-probe is found by `builtExecutable("snap-probe")`: `SNAP_PROBE` if set, else next to
/// the test binary (SwiftPM puts every product of a configuration in one directory, e.g.
/// `.build/x86_64-unknown-linux-gnu/debug/`; `swift test` builds it along with the tests).
@Suite("Memory")
struct MemoryTests {
    @Test(.timeLimit(.minutes(30)))
    func copyOutOfAMillionWideRowsStaysUnder64MiB() throws {
        let probe = try builtExecutable("snap-probe", override: "SNAP_PROBE")
        try withDatabase("mem_copy_out") { db, c in
            // About 110 bytes of COPY text per row, ~110 MB in all: far more than the limit.
            try c.execute(
                """
                CREATE TABLE wide AS
                  SELECT g AS id, md5(g::text) AS digest, repeat(chr(97 + g % 26), 70) AS filler
                  FROM generate_series(1, 1000000) AS g
                """)
            let expected = try #require(
                try c.query(
                    "SELECT sum(octet_length(id::text || digest || filler) + 3)::bigint FROM wide"
                ).first
            ).get(0, as: Int64.self)
            #expect(expected > 100_000_000)

            let server = db.server
            var env: [String: String] = ["PGPASSFILE": TestPostgres.noPassfile]
            if let password = server.password { env["PGPASSWORD"] = password }
            let (result, rss) = try runMeasured(
                probe,
                [
                    "copy-out", "--host", server.host, "--port", String(server.port), "--user", server.superuser,
                    "--dbname", db.name, "--table", "wide",
                ], environment: env, timeout: 240)
            #expect(result.status == 0, "\(result)")
            print("snap-probe copy-out streamed \(expected) bytes with a peak RSS of \(rss / 1024) KiB (\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(expected))
            #expect(rss > 1 << 20, "a peak RSS of \(rss) bytes is not a real measurement")
            #expect(rss < 64 << 20, "snap-probe copy-out peaked at \(rss >> 20) MiB")

            // The check can fail: with one chunk as large as the table, the probe buffers it all.
            let (buffered, bufferedRSS) = try runMeasured(
                probe,
                [
                    "copy-out", "--host", server.host, "--port", String(server.port), "--user", server.superuser,
                    "--dbname", db.name, "--table", "wide", "--chunk-size", String(200 << 20),
                ], environment: env, timeout: 240)
            #expect(buffered.status == 0, "\(buffered)")
            #expect(bufferedRSS > 100 << 20, "buffering 110 MB measured only \(bufferedRSS >> 20) MiB")
        }
    }

    @Test func probeRejectsBadUsage() throws {
        let probe = try builtExecutable("snap-probe", override: "SNAP_PROBE")
        let usage = try runProcess(probe, ["copy-out", "--host"])
        #expect(usage.status == 64)
        let badSize = try runProcess(probe, ["archive-entry", "--out", "/tmp/none", "--size", "ten"])
        #expect(badSize.status == 64)
    }

    /// A 1 GiB entry of unknown length streamed through ArchiveWriter (2 workers) stays under
    /// 64 MiB, and the header patched at the end carries the real size.
    @Test(.timeLimit(.minutes(30)))
    func streamingAGibibyteEntryStaysUnder64MiB() throws {
        let probe = try builtExecutable("snap-probe", override: "SNAP_PROBE")
        let dir = try TempDir(prefix: "snap-mem")
        let out = dir.file("big.tar.gz")
        let size: Int64 = 1 << 30
        let (result, rss) = try runMeasured(probe, ["archive-entry", "--out", out, "--size", String(size)], timeout: 240)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(size))
        print("snap-probe archive-entry streamed \(size) bytes with a peak RSS of \(rss / 1024) KiB")
        #expect(rss > 1 << 20, "a peak RSS of \(rss) bytes is not a real measurement")
        #expect(rss < 64 << 20, "snap-probe archive-entry peaked at \(rss >> 20) MiB")
        let reader = try TarGzReader(path: out)
        let entry = try #require(try reader.next())
        #expect(entry.size == size)

        // The check can fail: with 64 MiB blocks (six in flight) the writer must hold far more.
        let (big, bigRSS) = try runMeasured(
            probe, ["archive-entry", "--out", dir.file("big2.tar.gz"), "--size", String(512 << 20), "--block-size", String(64 << 20)],
            timeout: 240)
        #expect(big.status == 0, "\(big)")
        #expect(bigRSS > 128 << 20, "64 MiB blocks measured only \(bigRSS >> 20) MiB")
    }

    @Test func probeReportsConnectionFailures() throws {
        let probe = try builtExecutable("snap-probe", override: "SNAP_PROBE")
        let port = try freeLoopbackPort()
        let result = try runProcess(
            probe,
            ["copy-out", "--host", "127.0.0.1", "--port", String(port), "--user", "x", "--dbname", "y", "--table", "t"],
            environment: ["PGPASSFILE": TestPostgres.noPassfile], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("127.0.0.1:\(port)"))
    }
}

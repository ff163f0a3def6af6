import Foundation
import PGWire
import Synchronization
import TestHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The sampler thread's stop flag and the command lines it found.
private final class Sampled: Sendable {
    let state = Mutex((done: false, leaks: [String]()))
}

@Suite("security, command line", .timeLimit(.minutes(30)))
struct SecurityCLITests {
    @Test("the password is never on any command line, in the output or in the archive; archive and sidecar are 0600; planted links are not followed")
    func passwordAndFiles() throws {
        let room = try CLIRoom()
        let password = "s3cret-" + UUID().uuidString
        let server = try TestPostgres.shared()
        try server.ensurePasswordRole(name: "snap_pw_sec", password: password)
        try server.admin { try $0.execute("GRANT pg_read_all_data TO snap_pw_sec") }
        try room.writeEnv("SENTIENT_PG_PASSWORD=\(password)\nSENTIENT_PG_USER=snap_pw_sec\n")
        // Links planted where the sidecar's temp file will be, for the next seconds' names.
        let victim = room.dir.path + "/victim"
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        for second in 0..<20 {
            let name = "sentient-pharaohs-\(formatter.string(from: Date().addingTimeInterval(Double(second)))).tar.gz.sha256.tmp"
            symlink(victim, room.output + "/" + name)
        }
        let sampled = Sampled()
        let sampler = Thread {
            while !sampled.state.withLock({ $0.done }) {
                let found = allCommandLines().filter { $0.contains(password) }
                sampled.state.withLock { $0.leaks += found }
                usleep(2_000)
            }
        }
        sampler.start()
        let flags = room.flags().filter { $0 != "--pg-user" && $0 != "postgres" }
        let result = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt", "--json"] + flags)
        let leaks = sampled.state.withLock { $0.done = true; return $0.leaks }
        #expect(result.status == 0, "\(result)")
        #expect(leaks.isEmpty, "the password was on a command line: \(leaks)")
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password))
        let archive = try FileManager.default.contentsOfDirectory(atPath: room.output).first { $0.hasSuffix(".tar.gz") }.map { room.output + "/" + $0 } ?? ""
        let plain = try runProcess("/bin/sh", ["-c", "gzip -dc '\(archive)' | grep -c -a -F '\(password)' || true"])
        #expect(plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "the password is in the archive")
        for path in [archive, archive + ".sha256"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600, "\(path) is mode \(String(mode ?? 0, radix: 8))")
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n", "a planted link was followed")
    }

    @Test("an env file holding a password warns only when others can read it: 0640 (group) no, 0644 yes")
    func envFileModes() throws {
        let room = try CLIRoom()
        for (mode, warns) in [(0o640, false), (0o600, false), (0o644, true), (0o604, true)] {
            try room.writeEnv("SENTIENT_MQTT_PASSWORD=not-used\n", mode: mode)
            let output = room.dir.file("out-\(String(mode, radix: 8))")
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let result = try snap(["backup", "pharaohs", output, "--allow-root", "--no-mqtt", "--no-config"] + room.flags())
            #expect(result.status == 0, "\(result.stderr)")
            let warned = result.stderr.contains("readable by")
            #expect(warned == warns, "mode \(String(mode, radix: 8)): \(result.stderr)")
        }
    }

    @Test("TLS: PGSSLMODE=require works against a server with a self-signed certificate and fails clearly without SSL")
    func tls() throws {
        let room = try CLIRoom()
        let plain = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt"] + room.flags(), environment: ["PGSSLMODE": "require"])
        #expect(plain.status == 69, "\(plain)")
        #expect(plain.stderr.contains("SSL"), "\(plain.stderr)")
        #expect(try room.outputIsEmpty())

        let server = try TestPostgres.startPrivate(ssl: true)
        try server.psql("CREATE DATABASE room; ALTER SYSTEM SET log_connections = on")
        let flags = ["--host", "127.0.0.1", "--pg-port", String(server.port), "--pg-user", "postgres", "--pg-database", "room",
                     "--no-config", "--no-mqtt", "--env-dir", room.env]
        let secure = try snap(["backup", "pharaohs", room.output, "--allow-root"] + flags, environment: ["PGSSLMODE": "require"])
        #expect(secure.status == 0, "\(secure)")
        // The server agrees that sessions of this client use SSL.
        var settings = server.adminSettings
        settings.extra["sslmode"] = "require"
        let ssl = try Connection(settings).query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows[0][0]
        #expect(ssl == "t")
    }

    @Test("--sslmode / SENTIENT_PG_SSLMODE: validated, passed to libpq; one warning when a non-loopback session is not encrypted",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: ipTool), "needs root and iproute2's ip to add a second address to lo"))
    func sslMode() throws {
        let room = try CLIRoom()
        let bad = try snap(["backup", "pharaohs", room.output, "--allow-root", "--sslmode", "maybe"] + room.flags())
        #expect(bad.status == 64, "\(bad)")
        #expect(bad.stderr.contains("verify-full"), "\(bad.stderr)")
        try room.writeEnv("SENTIENT_PG_SSLMODE=sometimes\n")
        let badEnv = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt"] + room.flags())
        #expect(badEnv.status == 64, "\(badEnv)")
        #expect(badEnv.stderr.contains("SENTIENT_PG_SSLMODE"), "\(badEnv.stderr)")
        try room.writeEnv("")

        // A server with TLS, reached over a non-loopback address that never leaves this machine:
        // 198.18.0.1 (the benchmarking range) added to lo for this test and removed after it.
        let address = "198.18.0.1"
        let add = try runProcess(ipTool, ["addr", "add", "\(address)/32", "dev", "lo"])
        #expect(add.succeeded || add.stderr.contains("exists"), "ip addr add: \(add)")
        defer { _ = try? runProcess(ipTool, ["addr", "del", "\(address)/32", "dev", "lo"]) }
        let server = try TestPostgres.startPrivate(ssl: true, extraConf: "listen_addresses = '127.0.0.1, \(address)'")
        let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: server.dataDirectory + "/pg_hba.conf"))
        try hba.seekToEnd()
        try hba.write(contentsOf: Data("host all all \(address)/32 trust\n".utf8))
        try hba.close()
        try server.psql("SELECT pg_reload_conf(); CREATE DATABASE room")
        func backup(_ host: String, _ extra: [String]) throws -> ToolResult {
            try snap(["backup", "pharaohs", room.output, "--allow-root", "--host", host, "--pg-port", String(server.port), "--pg-user", "postgres",
                      "--pg-database", "room", "--no-config", "--no-mqtt", "--env-dir", room.env] + extra,
                     environment: ["PGPASSFILE": TestPostgres.noPassfile])
        }
        let warning = "is not encrypted"
        let plain = try backup(address, ["--sslmode", "disable"])
        #expect(plain.status == 0, "\(plain)")
        #expect(plain.stderr.components(separatedBy: warning).count == 2, "one warning: \(plain.stderr)")
        #expect(plain.stderr.contains("--sslmode require"), "\(plain.stderr)")
        for (host, extra) in [(address, []), (address, ["--sslmode", "require"]), ("127.0.0.1", ["--sslmode", "disable"])] {
            let result = try backup(host, extra)
            #expect(result.status == 0, "\(host) \(extra): \(result)")
            #expect(!result.stderr.contains(warning), "\(host) \(extra): \(result.stderr)")
        }
        try room.writeEnv("SENTIENT_PG_SSLMODE=disable\n")
        let fromEnv = try backup(address, [])
        #expect(fromEnv.stderr.contains(warning), "SENTIENT_PG_SSLMODE=disable: \(fromEnv.stderr)")
    }

    @Test("a 100 MB single row: peak RSS grows by the row, not by the table (< 3x row + 64 MiB)")
    func hugeRow() throws {
        let room = try CLIRoom()
        try room.database.psql("""
            CREATE TABLE huge (id int PRIMARY KEY, body text);
            ALTER TABLE huge ALTER COLUMN body SET STORAGE EXTERNAL;
            INSERT INTO huge SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 3276800) g;
            """)
        let row = 3_276_800 * 32
        let env = ["PGPASSFILE": TestPostgres.noPassfile, "PGCONNECT_TIMEOUT": "5"]
        let (result, rss) = try runMeasured(try productPath("sentient-snap"),
            ["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt", "--no-config", "--compress-level", "1"] + room.flags(),
            environment: env, timeout: 300)
        #expect(result.status == 0, "\(result)")
        print("100 MB row: backup peak RSS \(rss >> 20) MiB")
        #expect(rss < 3 * row + (64 << 20), "peak RSS \(rss >> 20) MiB")
    }
}

/// iproute2's ip, which adds the test's non-loopback address to lo.
private let ipTool = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"

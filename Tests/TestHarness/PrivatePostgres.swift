import Foundation
import PGWire

#if canImport(Glibc)
import Glibc
#endif

extension TestPostgres {
    /// Starts a second, throwaway cluster that belongs to one test alone, for faults that would
    /// hurt every other test on the shared server (stopping or restarting the server, SSL).
    /// Same binaries as the shared server (`SENTIENT_TEST_PG_BIN` or PostgreSQL 15).
    /// - Throws: `HarnessError` when it cannot start (the caller may skip the test then).
    public static func startPrivate(ssl: Bool = false, extraConf: String = "") throws -> PrivatePostgres {
        try PrivatePostgres(ssl: ssl, extraConf: extraConf)
    }
}

/// A PostgreSQL cluster owned by one test: it may be stopped, restarted or configured at will.
/// Stopped (`-m immediate`) and removed on deinit, and by a watchdog if the test process dies.
public final class PrivatePostgres: @unchecked Sendable {
    public let directory: String
    public let dataDirectory: String
    public let binDir: String
    public let port: Int
    public let superuser = "postgres"
    private let asUser: [String]
    private let logPath: String

    /// Superuser settings for the `postgres` database.
    public var adminSettings: ConnectionSettings {
        var settings = ConnectionSettings(host: "127.0.0.1", port: port, user: superuser, database: "postgres")
        settings.applicationName = "snap-test-admin"
        settings.extra["passfile"] = TestPostgres.noPassfile
        settings.extra["sslmode"] = "disable"
        return settings
    }

    init(ssl: Bool, extraConf: String) throws {
        let env = ProcessInfo.processInfo.environment
        binDir = env["SENTIENT_TEST_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        for tool in ["initdb", "pg_ctl", "postgres"] where !FileManager.default.isExecutableFile(atPath: "\(binDir)/\(tool)") {
            throw HarnessError("no \(tool) in \(binDir): a private cluster needs the server binaries")
        }
        let dir = try TempDir(prefix: "snappriv")
        dir.keep = true
        directory = dir.path
        dataDirectory = directory + "/data"
        logPath = directory + "/server.log"
        var asUser: [String] = []
        if geteuid() == 0 {
            guard let pw = getpwnam("postgres") else { throw HarnessError("running as root without a 'postgres' user") }
            chown(directory, pw.pointee.pw_uid, pw.pointee.pw_gid)
            asUser = ["/usr/sbin/runuser", "-u", "postgres", "--"]
        }
        self.asUser = asUser
        chmod(directory, 0o700)
        port = try freeLoopbackPort()

        let stopLine = (asUser + ["\(binDir)/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop"])
            .map(shellQuote).joined(separator: " ")
        try spawnDetached(["/bin/sh", "-c", """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(stopLine) >/dev/null 2>&1
            rm -rf \(shellQuote(directory))
            """])

        let initdb = try run("initdb", ["-D", dataDirectory, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
        guard initdb.succeeded else { throw HarnessError("initdb failed:\n\(initdb.stderr)") }
        var conf = """

            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(directory)'
            max_connections = 40
            shared_buffers = 16MB
            fsync = off
            full_page_writes = off

            """
        if ssl {
            let cert = try runProcess("openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-keyout", dataDirectory + "/server.key", "-out", dataDirectory + "/server.crt",
            ])
            guard cert.succeeded else { throw HarnessError("openssl req failed:\n\(cert.stderr)") }
            if geteuid() == 0, let pw = getpwnam("postgres") {
                chown(dataDirectory + "/server.key", pw.pointee.pw_uid, pw.pointee.pw_gid)
                chown(dataDirectory + "/server.crt", pw.pointee.pw_uid, pw.pointee.pw_gid)
            }
            chmod(dataDirectory + "/server.key", 0o600)
            conf += "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
        }
        conf += extraConf + "\n"
        guard let handle = FileHandle(forWritingAtPath: dataDirectory + "/postgresql.conf") else {
            throw HarnessError("cannot open postgresql.conf")
        }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(conf.utf8))
        try handle.close()
        try start()
    }

    /// Runs a server binary as the server's user.
    private func run(_ tool: String, _ args: [String], timeout: Double = 90) throws -> ToolResult {
        let path = "\(binDir)/\(tool)"
        if asUser.isEmpty { return try runProcess(path, args, timeout: timeout) }
        return try runProcess(asUser[0], Array(asUser.dropFirst()) + [path] + args, timeout: timeout)
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    public func start() throws {
        let result = try run("pg_ctl", ["-D", dataDirectory, "-l", logPath, "-w", "-t", "60", "start"])
        guard result.succeeded else {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw HarnessError("private cluster did not start:\n\(result.stderr)\n\(log.suffix(2000))")
        }
    }

    /// `pg_ctl stop` (`immediate` is a crash as far as the clients can tell).
    public func stop(mode: String = "immediate") {
        _ = try? run("pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "stop"])
    }

    /// Runs SQL through psql as the superuser; returns stdout without the final newline.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let result = try runProcess(
            "\(binDir)/psql",
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", "127.0.0.1", "-p", String(port), "-U", superuser,
             "-d", database, "-f", "-"],
            environment: ["PGPASSFILE": TestPostgres.noPassfile, "PGSSLMODE": "disable"], stdin: sql, timeout: 300)
        guard result.succeeded else { throw HarnessError("psql failed on the private cluster:\n\(result.stderr)") }
        var out = result.stdout
        while out.hasSuffix("\n") { out.removeLast() }
        return out
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

// MARK: - Processes by command line

/// Pids of processes whose /proc/<pid>/cmdline (NUL-separated words joined by spaces) contains `needle`.
public func processes(withCommandLineContaining needle: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    var found: [pid_t] = []
    for entry in entries {
        guard let pid = pid_t(entry), pid != getpid() else { continue }
        guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty else { continue }
        let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        if line.contains(needle) { found.append(pid) }
    }
    return found
}

/// Every process's command line and environment as readable by this user, for leak checks.
public func allCommandLines() -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> String? in
        guard pid_t(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }
}

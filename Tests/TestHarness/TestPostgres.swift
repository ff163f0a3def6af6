import Foundation
import PGWire

#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server integration tests run against: one per test process.
///
/// - With `SENTIENT_TEST_PG_URL` set (`postgresql://user:password@host:port/database`), that
///   external server is used and nothing is started. The URL's user must be a superuser.
/// - Otherwise a throwaway cluster is started on first use: binaries from `SENTIENT_TEST_PG_BIN`
///   or `/usr/lib/postgresql/15/bin` (never looked up on PATH), data in `/tmp/snappg-XXXXXX`,
///   listening on 127.0.0.1:<free port> and a unix socket in that directory, fsync off,
///   trust auth except for password roles (see `ensurePasswordRole`). When running as root the
///   server runs as the `postgres` user (initdb refuses root). It is stopped
///   (`pg_ctl stop -m immediate`) and its directory removed at exit, and by a detached watchdog
///   when the test process dies without running exit handlers (crash, SIGKILL).
///
/// Thread-safe: tests running in parallel share it; each test makes its own database.
public final class TestPostgres: @unchecked Sendable {
    public let host: String
    public let port: Int
    /// A role with SUPERUSER (trust auth on loopback for the throwaway cluster).
    public let superuser: String
    /// The superuser's password (external servers only).
    public let password: String?
    /// The directory holding psql, pg_dump and pg_restore of the server's major version.
    public let binDir: String
    public let serverVersionNumber: Int
    /// True when the server came from `SENTIENT_TEST_PG_URL`.
    public let isExternal: Bool
    /// The throwaway cluster's directory (data, socket, server.log); nil for an external server.
    public let clusterDirectory: String?
    /// The database admin work connects to ("postgres", or the URL's database).
    public let maintenanceDatabase: String

    /// Superuser settings for the maintenance database.
    public var adminSettings: ConnectionSettings {
        var settings = ConnectionSettings(
            host: host, port: port, user: superuser, database: maintenanceDatabase, password: password)
        settings.applicationName = "snap-test-admin"
        // Never pick up the developer's ~/.pgpass or PGPASSWORD by accident.
        if password == nil { settings.extra["passfile"] = TestPostgres.noPassfile }
        return settings
    }

    /// A passfile path that does not exist, so neither the developer's ~/.pgpass nor a stray
    /// PGPASSFILE leaks into trust-auth tests (libpq ignores a missing passfile silently).
    public static let noPassfile = "/nonexistent/snap-test-no-pgpass"

    /// The group role that makes its members authenticate with scram-sha-256 on the throwaway cluster.
    public static let passwordGroup = "snap_pw_roles"

    // MARK: - Shared instance

    private static let lock = NSLock()
    nonisolated(unsafe) private static var instance: Result<TestPostgres, Error>?

    /// The server for this test process, started on first call. A failure to start is
    /// remembered, so every test reports the same error quickly.
    /// - Throws: `HarnessError` with the server log's last lines when it cannot start.
    public static func shared() throws -> TestPostgres {
        lock.lock()
        defer { lock.unlock() }
        if instance == nil {
            instance = Result { try make() }
        }
        return try instance!.get()
    }

    private static func make() throws -> TestPostgres {
        let env = ProcessInfo.processInfo.environment
        if let url = env["SENTIENT_TEST_PG_URL"], !url.isEmpty {
            return try external(url: url, binOverride: env["SENTIENT_TEST_PG_BIN"])
        }
        return try startCluster(bin: env["SENTIENT_TEST_PG_BIN"] ?? "/usr/lib/postgresql/15/bin")
    }

    private init(
        host: String, port: Int, superuser: String, password: String?, binDir: String,
        serverVersionNumber: Int, isExternal: Bool, clusterDirectory: String?, maintenanceDatabase: String
    ) {
        self.host = host
        self.port = port
        self.superuser = superuser
        self.password = password
        self.binDir = binDir
        self.serverVersionNumber = serverVersionNumber
        self.isExternal = isExternal
        self.clusterDirectory = clusterDirectory
        self.maintenanceDatabase = maintenanceDatabase
    }

    // MARK: - External server

    private static func external(url: String, binOverride: String?) throws -> TestPostgres {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme,
            scheme == "postgresql" || scheme == "postgres"
        else {
            throw HarnessError(
                "SENTIENT_TEST_PG_URL must look like postgresql://user:password@host:port/database")
        }
        let host = parts.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        let port = parts.port ?? 5432
        let user = parts.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = parts.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        var database = String(parts.percentEncodedPath.drop(while: { $0 == "/" }))
        database = database.removingPercentEncoding ?? database
        if database.isEmpty { database = "postgres" }

        var settings = ConnectionSettings(host: host, port: port, user: user, database: database, password: password)
        settings.applicationName = "snap-test-admin"
        let version: Int
        do {
            version = try Connection(settings).serverVersionNumber
        } catch {
            throw HarnessError("cannot connect to SENTIENT_TEST_PG_URL server \(host):\(port): \(error)")
        }
        let binDir = binOverride ?? findClientBinDir(major: version / 10000)
        return TestPostgres(
            host: host, port: port, superuser: user, password: password, binDir: binDir,
            serverVersionNumber: version, isExternal: true, clusterDirectory: nil, maintenanceDatabase: database)
    }

    /// `pg_config --bindir` when pg_config is of `major`; else Debian's versioned directory;
    /// else wherever psql is on PATH.
    private static func findClientBinDir(major: Int) -> String {
        if let version = try? runProcess("pg_config", ["--version"]), version.succeeded,
            version.stdout.hasPrefix("PostgreSQL \(major).") || version.stdout.hasPrefix("PostgreSQL \(major)beta"),
            let bindir = try? runProcess("pg_config", ["--bindir"]), bindir.succeeded
        {
            return bindir.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let debian = "/usr/lib/postgresql/\(major)/bin"
        if FileManager.default.isExecutableFile(atPath: debian + "/psql") { return debian }
        if let psql = try? resolveExecutable("psql") {
            return (psql as NSString).deletingLastPathComponent
        }
        return debian
    }

    // MARK: - Throwaway cluster

    private static func startCluster(bin: String) throws -> TestPostgres {
        for tool in ["initdb", "pg_ctl", "postgres"] where !FileManager.default.isExecutableFile(atPath: "\(bin)/\(tool)") {
            throw HarnessError(
                "no \(tool) in \(bin): install PostgreSQL server binaries (make deps) or point"
                    + " SENTIENT_TEST_PG_BIN at their directory, or set SENTIENT_TEST_PG_URL to use a running server")
        }
        let superuser = "postgres"
        let dir = try TempDir(prefix: "snappg")
        dir.keep = true  // removed by the exit handler and the watchdog, not by deinit
        let root = dir.path
        let data = root + "/data"
        let log = root + "/server.log"

        // initdb refuses to run as root: run the server tools as `postgres` then.
        var asUser: [String] = []
        if geteuid() == 0 {
            guard let pw = getpwnam("postgres") else {
                throw HarnessError(
                    "running as root, but there is no 'postgres' user to run the test server as:"
                        + " create it (useradd --system postgres) or set SENTIENT_TEST_PG_URL")
            }
            chown(root, pw.pointee.pw_uid, pw.pointee.pw_gid)
            asUser = ["/usr/sbin/runuser", "-u", "postgres", "--"]
            if !FileManager.default.isExecutableFile(atPath: asUser[0]) { asUser[0] = "runuser" }
        }
        chmod(root, 0o700)
        let pgCtl = "\(bin)/pg_ctl"
        let stopCommand = asUser + [pgCtl, "-D", data, "-m", "immediate", "-w", "stop"]
        try registerCleanup(stop: stopCommand, directory: root)

        let initdb = try runProcess(
            asUser.first ?? "\(bin)/initdb",
            Array(asUser.dropFirst())
                + (asUser.isEmpty ? [] : ["\(bin)/initdb"])
                + ["-D", data, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
            timeout: 120)
        guard initdb.succeeded else {
            throw HarnessError("initdb failed in \(data):\n\(initdb.stderr)\n\(initdb.stdout)")
        }
        let version = try serverVersion(bin: bin)

        // Settings appended to the generated file win over its defaults. Writing in place keeps
        // the files owned by the server's user.
        let conf = """

            # sentient-snap test harness
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(root)'
            max_connections = 200
            shared_buffers = 64MB
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            max_wal_size = 2GB
            password_encryption = 'scram-sha-256'
            log_min_messages = warning
            log_line_prefix = '%m [%p] %q%u@%d '

            """
        try append(conf, to: data + "/postgresql.conf")
        var hba = """
            # sentient-snap test harness: password roles need scram-sha-256 over TCP, all else is trust.
            local   all  all                          trust
            host    all  snap_pw_user   127.0.0.1/32  scram-sha-256
            host    all  +\(passwordGroup)  127.0.0.1/32  scram-sha-256

            """
        if version >= 160000 {
            // Regular expressions for role names arrived in PostgreSQL 16.
            hba += "host    all  \"/^pw_\"        127.0.0.1/32  scram-sha-256\n"
        }
        hba += """
            host    all  all            127.0.0.1/32  trust
            host    all  all            ::1/128       trust

            """
        try overwrite(data + "/pg_hba.conf", with: hba)

        // The port is only free until someone else binds it: retry with another one.
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            let start = try runProcess(
                asUser.first ?? pgCtl,
                Array(asUser.dropFirst()) + (asUser.isEmpty ? [] : [pgCtl])
                    + ["-D", data, "-l", log, "-w", "-t", "60", "-o", "-p \(port)", "start"],
                timeout: 90)
            let logTail = tail(of: log, lines: 30)
            if start.succeeded {
                let server = TestPostgres(
                    host: "127.0.0.1", port: port, superuser: superuser, password: nil, binDir: bin,
                    serverVersionNumber: version, isExternal: false, clusterDirectory: root,
                    maintenanceDatabase: "postgres")
                try server.admin { try $0.execute("CREATE ROLE \(quoteIdentifier(passwordGroup)) NOLOGIN") }
                return server
            }
            lastFailure = "pg_ctl start failed (exit \(start.status)):\n\(start.stderr)\(start.stdout)\n--- \(log) (last lines) ---\n\(logTail)"
            if !logTail.contains("could not bind") && !logTail.contains("Address already in use") { break }
            _ = runQuietly(stopCommand)
        }
        throw HarnessError(lastFailure)
    }

    private static func serverVersion(bin: String) throws -> Int {
        // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> 150018; "16beta1" -> 160000
        let result = try runProcess("\(bin)/postgres", ["--version"])
        let words = result.stdout.split(separator: " ")
        guard words.count >= 3 else { throw HarnessError("cannot read postgres --version: \(result)") }
        let numbers = words[2].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard let major = numbers.first else { throw HarnessError("cannot read postgres --version: \(result)") }
        let minor = numbers.count > 1 && !words[2].contains("beta") && !words[2].contains("rc") ? numbers[1] : 0
        return major * 10000 + minor
    }

    private static func append(_ text: String, to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw HarnessError("cannot open \(path) for writing")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    private static func overwrite(_ path: String, with text: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw HarnessError("cannot open \(path) for writing")
        }
        defer { try? handle.close() }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
    }

    private static func tail(of path: String, lines: Int) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    // MARK: - Cleanup

    nonisolated(unsafe) private static var cleanupStop: [String] = []
    nonisolated(unsafe) private static var cleanupDirectory: String?

    /// Stops the cluster and removes its directory when this process exits normally (atexit),
    /// and from a detached watchdog shell when it dies any other way.
    private static func registerCleanup(stop: [String], directory: String) throws {
        cleanupStop = stop
        cleanupDirectory = directory
        atexit {
            guard let directory = TestPostgres.cleanupDirectory else { return }
            TestPostgres.cleanupDirectory = nil
            runQuietly(TestPostgres.cleanupStop)
            runQuietly(["/bin/rm", "-rf", directory])
        }
        let stopLine = stop.map(shellQuote).joined(separator: " ")
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            if [ -d \(shellQuote(directory + "/data")) ]; then \(stopLine) >/dev/null 2>&1; fi
            rm -rf \(shellQuote(directory))
            """
        try spawnDetached(["/bin/sh", "-c", script])
    }

    // MARK: - Databases, roles, tools

    private let counterLock = NSLock()
    private var counter = 0

    /// Runs `body` on a fresh superuser connection to the maintenance database.
    public func admin<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try Connection(adminSettings)
        return try body(connection)
    }

    /// Creates a fresh, uniquely named database owned by the superuser, from template0.
    /// The name is `prefix` (lowercased, reduced to [a-z0-9_]) + "_<pid>_<n>_<random>", at most 63 bytes.
    /// Tests may drop it with `dropDatabase`; the throwaway cluster disappears anyway.
    /// - Throws: `PGError` when CREATE DATABASE fails.
    public func createDatabase(prefix: String = "t") throws -> TestDatabase {
        counterLock.lock()
        counter += 1
        let n = counter
        counterLock.unlock()
        var clean = String(prefix.lowercased().unicodeScalars.filter {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
        }.map(Character.init))
        if clean.isEmpty || !(clean.first!.isLetter || clean.first == "_") { clean = "t" + clean }
        let suffix = "_\(getpid())_\(n)_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let name = String(clean.prefix(63 - suffix.utf8.count)) + suffix
        try admin { try $0.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0") }
        var settings = adminSettings.with(database: name)
        settings.applicationName = "snap-test"
        return TestDatabase(name: name, settings: settings, server: self)
    }

    /// Drops a database, terminating its sessions first (`WITH (FORCE)`); a missing one is fine.
    public func dropDatabase(_ name: String) throws {
        try admin { try $0.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)") }
    }

    private let roleLock = NSLock()

    /// Makes sure a login role `name` with `password` exists. On the throwaway cluster it must
    /// authenticate with scram-sha-256 over TCP (it is made a member of `passwordGroup`; roles named
    /// `snap_pw_user`, and on PostgreSQL 16+ any role named `pw_*`, need a password regardless).
    /// On an external server, whether a password is required is up to its pg_hba.conf.
    public func ensurePasswordRole(name: String, password: String) throws {
        roleLock.lock()
        defer { roleLock.unlock() }
        try admin { connection in
            let exists = try connection.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]).count > 0
            if !exists {
                do {
                    try connection.execute("CREATE ROLE \(quoteIdentifier(name)) LOGIN")
                } catch let error as PGError where error.sqlState == "42710" || error.sqlState == "23505" {
                    // Created meanwhile by another test process.
                }
            }
            try connection.execute("SET password_encryption = 'scram-sha-256'")
            try connection.execute(
                "ALTER ROLE \(quoteIdentifier(name)) WITH LOGIN PASSWORD \(quoteLiteral(password))")
            if !isExternal {
                try connection.execute(
                    "GRANT \(quoteIdentifier(TestPostgres.passwordGroup)) TO \(quoteIdentifier(name))")
            }
        }
    }

    /// The PG* environment that points client tools at this server as the superuser.
    public func toolEnvironment(database: String? = nil) -> [String: String] {
        var env = [
            "PGHOST": host, "PGPORT": String(port), "PGUSER": superuser,
            "PGDATABASE": database ?? maintenanceDatabase, "PGCONNECT_TIMEOUT": "10",
            "PGAPPNAME": "snap-test-tool", "PGSSLMODE": "prefer",
        ]
        if let password { env["PGPASSWORD"] = password } else { env["PGPASSFILE"] = TestPostgres.noPassfile }
        return env
    }

    /// Runs a tool from `binDir` (psql, pg_dump, pg_restore, ...; a name containing "/" is used
    /// as a path) with PG* environment pointing at this server as the superuser. The password
    /// travels in PGPASSWORD, never on argv.
    /// - Returns: exit status and output; a failing tool is not an error.
    /// - Throws: `HarnessError` when the tool cannot be started.
    public func runTool(
        _ name: String, _ args: [String], database: String? = nil, stdin: String? = nil
    ) throws -> ToolResult {
        let path = name.contains("/") ? name : "\(binDir)/\(name)"
        return try runProcess(path, args, environment: toolEnvironment(database: database), stdin: stdin, timeout: 600)
    }
}

/// A database of its own for one test.
public struct TestDatabase: Sendable {
    public let name: String
    /// Superuser settings for this database.
    public let settings: ConnectionSettings
    public let server: TestPostgres

    /// A new connection to this database as the superuser.
    public func connect() throws -> Connection { try Connection(settings) }

    /// Runs SQL through `psql -X -q -v ON_ERROR_STOP=1 -At` (fed on stdin, so several statements
    /// and psql meta-commands work; `-q` drops command tags like "INSERT 0 2") and returns its
    /// stdout (the rows of result-returning statements, "|"-separated) without the final newline.
    /// - Throws: `HarnessError` with psql's stderr when it fails.
    @discardableResult
    public func psql(_ sql: String) throws -> String {
        let result = try server.runTool("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-f", "-"], database: name, stdin: sql)
        guard result.succeeded else {
            throw HarnessError("psql failed on database \(name) (exit \(result.status)):\n\(result.stderr)")
        }
        var out = result.stdout
        while out.hasSuffix("\n") { out.removeLast() }
        return out
    }

    /// Drops this database.
    public func drop() throws { try server.dropDatabase(name) }
}

/// A database of its own per test, dropped when the test ends.
public func withDatabase<T>(_ prefix: String, _ body: (TestDatabase, Connection) throws -> T) throws -> T {
    let server = try TestPostgres.shared()
    let db = try server.createDatabase(prefix: prefix)
    defer { try? server.dropDatabase(db.name) }
    let connection = try db.connect()
    return try body(db, connection)
}

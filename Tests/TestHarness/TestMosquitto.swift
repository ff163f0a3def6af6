import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway mosquitto broker on a free loopback port, for one test.
///
/// Started from `/usr/sbin/mosquitto` (override with `SENTIENT_TEST_MOSQUITTO`) with a generated
/// config: `listener <port> 127.0.0.1`, no persistence, anonymous access, or with
/// `users:` a password file made by `mosquitto_passwd -b -c` and anonymous access off.
/// It starts in milliseconds, so every test can have its own. Stopped (SIGTERM to its pid,
/// never by name) in `deinit`, and at exit for any still running.
///
/// With `SENTIENT_TEST_MQTT_URL` (`mqtt://host:port`) set, `TestMosquitto.external()` returns
/// that broker instead; tests that need a fresh, empty broker or a password file start their own.
public final class TestMosquitto: @unchecked Sendable {
    public let host: String
    public let port: Int
    /// The broker's pid; 0 for an external broker.
    public let pid: pid_t
    private let dir: TempDir?
    private var stopped = false

    /// The broker's log (stdout and stderr), for failure messages.
    public var log: String {
        guard let dir else { return "" }
        return (try? String(contentsOfFile: dir.path + "/mosquitto.log", encoding: .utf8)) ?? ""
    }

    /// Starts a broker; `users` (name -> password) turns on password authentication.
    /// - Throws: `HarnessError` when mosquitto is missing or does not come up.
    public init(users: [String: String] = [:]) throws {
        let env = ProcessInfo.processInfo.environment
        let binary = env["SENTIENT_TEST_MOSQUITTO"] ?? "/usr/sbin/mosquitto"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HarnessError("no mosquitto at \(binary): install the mosquitto package (make deps) or set SENTIENT_TEST_MOSQUITTO")
        }
        let dir = try TempDir(prefix: "snap-mqtt")
        var auth = "allow_anonymous true\n"
        if !users.isEmpty {
            let passwordFile = dir.path + "/passwd"
            for (index, (user, password)) in users.sorted(by: { $0.key < $1.key }).enumerated() {
                let made = try runProcess("mosquitto_passwd", (index == 0 ? ["-c"] : []) + ["-b", passwordFile, user, password], timeout: 30)
                guard made.succeeded else { throw HarnessError("mosquitto_passwd failed: \(made)") }
            }
            auth = "allow_anonymous false\npassword_file \(passwordFile)\n"
        }
        var lastLog = ""
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            let conf = dir.path + "/mosquitto.conf"
            // As root, mosquitto would switch to the `mosquitto` user, which cannot read our files.
            let text = (geteuid() == 0 ? "user root\n" : "") + """
                listener \(port) 127.0.0.1
                persistence false
                log_dest stdout
                log_type error
                log_type warning
                \(auth)
                """
            try text.write(toFile: conf, atomically: true, encoding: .utf8)
            let pid = try Self.spawn([binary, "-c", conf], log: dir.path + "/mosquitto.log")
            if Self.waitUntilListening(port: port, pid: pid, timeout: 10) {
                self.host = "127.0.0.1"
                self.port = port
                self.pid = pid
                self.dir = dir
                Self.register(pid)
                return
            }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            lastLog = (try? String(contentsOfFile: dir.path + "/mosquitto.log", encoding: .utf8)) ?? ""
        }
        throw HarnessError("mosquitto did not start:\n\(lastLog)")
    }

    private init(externalHost: String, port: Int) {
        host = externalHost
        self.port = port
        pid = 0
        dir = nil
    }

    /// The broker named by `SENTIENT_TEST_MQTT_URL`, if set.
    public static func external() throws -> TestMosquitto? {
        guard let url = ProcessInfo.processInfo.environment["SENTIENT_TEST_MQTT_URL"], !url.isEmpty else { return nil }
        guard let parts = URLComponents(string: url), parts.scheme == "mqtt" else {
            throw HarnessError("SENTIENT_TEST_MQTT_URL must look like mqtt://host:port")
        }
        return TestMosquitto(externalHost: parts.host ?? "127.0.0.1", port: parts.port ?? 1883)
    }

    /// Stops the broker (SIGTERM, then SIGKILL after 5 s) and reaps it.
    public func stop() {
        guard pid > 0, !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<500 {
            if waitpid(pid, &status, WNOHANG) == pid {
                Self.unregister(pid)
                return
            }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        Self.unregister(pid)
    }

    deinit { stop() }

    // MARK: - Client tools

    /// Runs `mosquitto_pub` against this broker.
    @discardableResult
    public func pub(_ args: [String], stdin: String? = nil) throws -> ToolResult {
        let result = try runProcess("mosquitto_pub", ["-h", host, "-p", String(port)] + args, stdin: stdin, timeout: 60)
        guard result.succeeded else { throw HarnessError("mosquitto_pub \(args) failed: \(result)") }
        return result
    }

    /// The retained messages as `mosquitto_sub --retained-only` sees them: topic -> payload bytes.
    /// Waits `wait` seconds for them to arrive (everything retained is sent at once on subscribe).
    public func retained(wait: Double = 2, extraArgs: [String] = []) throws -> [[UInt8]: [UInt8]] {
        // Hex payload first, then the topic (which may hold spaces); one message per line.
        // Spawned with an empty signal mask (not via runProcess): -W uses SIGALRM, which a
        // test thread may have blocked.
        guard let dir else { throw HarnessError("retained() needs a broker started by the harness") }
        let output = dir.path + "/sub-\(UInt32.random(in: 0...UInt32.max)).out"
        let client = try resolveExecutable("mosquitto_sub")
        let pid = try Self.spawn(
            [client, "-h", host, "-p", String(port), "-t", "#", "--retained-only", "-W", String(Int(wait.rounded(.up))), "-F", "%x %t"] + extraArgs,
            log: output)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(wait + 30)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw HarnessError("mosquitto_sub did not end")
            }
            usleep(10_000)
        }
        // -W ends it with status 27 ("timed out"), which is the expected way out here.
        let code = (status >> 8) & 0xff
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        unlink(output)
        guard status & 0x7f == 0, code == 0 || code == 27 else { throw HarnessError("mosquitto_sub failed (status \(status)): \(text.prefix(2000))") }
        var out: [[UInt8]: [UInt8]] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where line != "Timed out" {
            guard let space = line.firstIndex(of: " ") else { continue }
            let hex = Array(line[..<space].utf8)
            var payload: [UInt8] = []
            payload.reserveCapacity(hex.count / 2)
            var index = 0
            while index + 1 < hex.count {
                payload.append(UInt8(Self.nibble(hex[index]) << 4 | Self.nibble(hex[index + 1])))
                index += 2
            }
            out[Array(line[line.index(after: space)...].utf8)] = payload
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return c - UInt8(ascii: "A") + 10
        }
    }

    // MARK: - Process handling

    private static func spawn(_ argv: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        configureChildAttributes(&attr)
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cArgs, environ)
        guard rc == 0 else { throw HarnessError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// True once a TCP connect to the port succeeds; false if the process exits or time runs out.
    private static func waitUntilListening(port: Int, pid: pid_t, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return false }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if rc == 0 { return true }
            usleep(10_000)
        }
        return false
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var running: Set<pid_t> = []
    private static let installExitHandler: Void = {
        atexit {
            TestMosquitto.lock.lock()
            let pids = TestMosquitto.running
            TestMosquitto.lock.unlock()
            for pid in pids { kill(pid, SIGKILL) }
        }
    }()

    private static func register(_ pid: pid_t) {
        _ = installExitHandler
        lock.lock()
        running.insert(pid)
        lock.unlock()
    }

    private static func unregister(_ pid: pid_t) {
        lock.lock()
        running.remove(pid)
        lock.unlock()
    }
}

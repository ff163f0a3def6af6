import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Docker engine for the room-control tests, driven through the `docker` client.
///
/// The engine is checked once per test process: the `docker` client must be on PATH and
/// `docker info` must answer (`scripts/start-docker.sh` starts one as root; `.ci/run` does).
/// No image registry is needed: the test image `sentient-snap-test-room:1` is imported from a
/// root filesystem holding a static busybox (Debian package `busybox-static`), once, if it is
/// missing. Containers run with `--network host` (no bridge needed) and `--init` (so a stop or
/// restart does not wait out the timeout), and carry the label `sentient-snap-test=<pid>`;
/// containers left behind by a test process that died are removed at the next check.
///
/// When no engine is usable the tests are reported as skipped, with the trait's reason
/// (`TestDocker.skipReason` says why the engine is not usable):
///
///     @Test("...", .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
public enum TestDocker {
    public static let image = "sentient-snap-test-room:1"
    private static let label = "sentient-snap-test"

    public enum Availability: Sendable {
        case ready
        case unavailable(String)
    }

    /// Whether the engine can be used, worked out once per process.
    public static let availability: Availability = check()

    /// Why Docker tests are skipped, or nil when the engine is ready.
    public static var skipReason: String? {
        if case .unavailable(let reason) = availability { return reason }
        return nil
    }

    /// True when the engine is ready. For swift-testing's `.enabled(if:)`, which otherwise
    /// reports the test as skipped with the trait's reason.
    public static var isReady: Bool { skipReason == nil }

    // MARK: - Containers

    private static let counterLock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// A fresh room name (`<prefix><pid>x<n>x<random>`), so its container `sentient-<room>` is unique.
    public static func uniqueRoom(_ prefix: String = "rc") -> String {
        counterLock.lock()
        counter += 1
        let n = counter
        counterLock.unlock()
        return "\(prefix)\(getpid())x\(n)x\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// A command that just sleeps (a room that does nothing).
    public static let sleeper = ["/bin/sleep", "1000000"]

    /// A command that forwards TCP `listenPort` (on all interfaces of the host network) to
    /// `targetHost`:`targetPort`, one `nc` per connection: a room container that "publishes"
    /// PostgreSQL, which answers on `listenPort` exactly while the container runs.
    public static func forwarder(listenPort: Int, targetHost: String, targetPort: Int) -> [String] {
        ["/bin/busybox", "nc", "-ll", "-p", String(listenPort), "-e", "/bin/busybox", "nc", targetHost, String(targetPort)]
    }

    /// Creates container `name` from the test image running `command`, started or not.
    /// Remove it with `remove(_:)` (in a `defer`).
    /// - Throws: `HarnessError` with the client's output when docker fails.
    public static func createContainer(_ name: String, command: [String] = sleeper, start: Bool = true) throws {
        try docker(["create", "--init", "--network", "host", "--label", "\(label)=\(getpid())", "--name", name, image] + command)
        if start { try docker(["start", name]) }
    }

    public static func start(_ name: String) throws { try docker(["start", name]) }

    public static func stop(_ name: String) throws { try docker(["stop", "-t", "5", name]) }

    /// Removes the container, running or not; a missing one is fine.
    public static func remove(_ name: String) {
        _ = try? runProcess("docker", ["rm", "-f", name], timeout: 60)
    }

    public struct State: Equatable, Sendable {
        public var running: Bool
        public var startedAt: String

        public init(running: Bool, startedAt: String) {
            self.running = running
            self.startedAt = startedAt
        }
    }

    /// The container's `State.Running` and `State.StartedAt`, or nil when it does not exist.
    public static func state(_ name: String) throws -> State? {
        let result = try runProcess("docker", ["inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", name], timeout: 60)
        if !result.succeeded {
            if result.stderr.lowercased().contains("no such") { return nil }
            throw HarnessError("docker inspect \(name) failed: \(result)")
        }
        let words = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard words.count == 2 else { throw HarnessError("docker inspect \(name): unexpected output '\(result.stdout)'") }
        return State(running: words[0] == "true", startedAt: String(words[1]))
    }

    /// An image like the test image whose default command is `command` (it carries the test
    /// label, so containers made from it by the code under test are cleaned up like the
    /// tests' own). Remove it with `removeImage(_:)`.
    /// - Returns: its tag.
    public static func image(command: [String]) throws -> String {
        let tag = "sentient-snap-test-created:" + uniqueRoom("i")
        let builder = "sentient-snap-image-" + uniqueRoom("b")
        try docker(["create", "--label", "\(label)=\(getpid())", "--name", builder, image] + sleeper)
        defer { remove(builder) }
        let cmd = String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self)
        try docker(["commit", "--change", "CMD \(cmd)", "--change", "LABEL \(label)=\(getpid())", builder, tag])
        return tag
    }

    public static func removeImage(_ tag: String) {
        _ = try? runProcess("docker", ["rmi", "-f", tag], timeout: 60)
    }

    /// Removes the volume; a missing one is fine.
    public static func removeVolume(_ name: String) {
        _ = try? runProcess("docker", ["volume", "rm", "-f", name], timeout: 60)
    }

    public static func volumeExists(_ name: String) throws -> Bool {
        try runProcess("docker", ["volume", "inspect", name], timeout: 60).succeeded
    }

    /// `docker inspect` of the container, or nil when it does not exist.
    public static func inspect(_ name: String) throws -> [String: Any]? {
        let result = try runProcess("docker", ["inspect", "--type", "container", name], timeout: 60)
        guard result.succeeded else { return nil }
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        return list?.first
    }

    /// The container's whole output (stdout and stderr).
    public static func logs(_ name: String) throws -> String {
        let result = try runProcess("docker", ["logs", name], timeout: 60)
        guard result.succeeded else { throw HarnessError("docker logs \(name) failed: \(result)") }
        return result.stdout + result.stderr
    }

    /// Runs the docker client.
    /// - Returns: its stdout.
    /// - Throws: `HarnessError` with the client's output when it fails.
    @discardableResult
    public static func docker(_ args: [String], timeout: Double = 120) throws -> String {
        let result = try runProcess("docker", args, timeout: timeout)
        guard result.succeeded else {
            throw HarnessError("docker \(args.joined(separator: " ")) failed: \(result)")
        }
        return result.stdout
    }

    // MARK: - Engine and image

    private static func check() -> Availability {
        guard (try? resolveExecutable("docker")) != nil else {
            return .unavailable("no docker client on PATH (install docker.io; scripts/start-docker.sh starts an engine)")
        }
        guard let info = try? runProcess("docker", ["info", "--format", "{{.ServerVersion}}"], timeout: 30) else {
            return .unavailable("cannot run the docker client")
        }
        guard info.succeeded else {
            let why = info.timedOut ? "timed out" : info.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return .unavailable("no Docker engine answers (\(why.prefix(200))): run scripts/start-docker.sh as root")
        }
        removeStaleContainers()
        if let image = try? runProcess("docker", ["image", "inspect", image], timeout: 60), image.succeeded {
            return .ready
        }
        do {
            try importImage()
            return .ready
        } catch {
            return .unavailable("cannot build the test image \(image): \(error)")
        }
    }

    /// Imports the test image from a root filesystem with a static busybox: /bin/busybox and
    /// /bin/sh, /bin/sleep linked to it.
    private static func importImage() throws {
        let candidates = ["/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox"]
        guard let busybox = candidates.first(where: { isStatic($0) }) else {
            throw HarnessError("no statically linked busybox at \(candidates.joined(separator: ", ")) (apt-get install busybox-static)")
        }
        let dir = try TempDir(prefix: "snap-rootfs")
        let root = dir.path + "/rootfs"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        for sub in ["tmp", "proc", "sys", "dev", "etc"] {
            try fm.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: busybox, toPath: root + "/bin/busybox")
        for applet in ["sh", "sleep", "nc"] {
            try fm.createSymbolicLink(atPath: root + "/bin/" + applet, withDestinationPath: "busybox")
        }
        let tarball = dir.path + "/rootfs.tar"
        let tar = try runProcess("tar", ["-C", root, "-cf", tarball, "."], timeout: 60)
        guard tar.succeeded else { throw HarnessError("tar of the test root filesystem failed: \(tar)") }
        try docker(["import", tarball, image])
    }

    /// Whether `path` is an executable that needs no shared libraries.
    private static func isStatic(_ path: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: path),
              let ldd = try? runProcess("ldd", [path], timeout: 30)
        else { return false }
        let text = ldd.stdout + ldd.stderr
        return text.contains("not a dynamic executable") || text.contains("statically linked")
    }

    /// Removes test containers whose creating process is gone.
    private static func removeStaleContainers() {
        guard let list = try? runProcess(
            "docker", ["ps", "-a", "--filter", "label=\(label)", "--format", "{{.Names}} {{.Label \"\(label)\"}}"], timeout: 60),
            list.succeeded
        else { return }
        for line in list.stdout.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 2, let pid = Int32(words[1]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                remove(String(words[0]))
            }
        }
    }
}

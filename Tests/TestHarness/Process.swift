import Foundation

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Results and errors

/// What a child process did: exit status and captured output.
public struct ToolResult: Sendable, CustomStringConvertible {
    /// The exit code, or 128 + signal number when the process was killed by a signal
    /// (as shells report it).
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// True when `runProcess` killed the process because its `timeout` ran out.
    public let timedOut: Bool

    public init(status: Int32, stdout: String, stderr: String, timedOut: Bool = false) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }

    /// `status == 0`.
    public var succeeded: Bool { status == 0 }

    public var description: String {
        "exit \(status)\(timedOut ? " (timed out)" : "")\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

/// A failure of the harness itself (could not start a process or a server).
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - Running processes

/// Runs an executable and waits for it, capturing stdout and stderr.
///
/// - `executable`: a path containing "/" is used as is; a bare name is looked up on the PATH
///   of the child's environment.
/// - `environment`: added to (and overriding) this process's environment.
/// - `stdin`: written to the child's stdin, which is then closed; `nil` gives it /dev/null.
/// - `timeout`: seconds after which the child's process group is killed with SIGKILL; the result
///   then has `timedOut == true` and status 137.
///
/// The child runs in its own process group. All pipes are close-on-exec in this process, so
/// children spawned concurrently by other tests never hold each other's pipes open.
/// - Throws: `HarnessError` when the executable cannot be found or spawned. A non-zero exit is
///   not an error: check `status`.
public func runProcess(
    _ executable: String, _ args: [String], environment: [String: String] = [:], stdin: String? = nil,
    currentDirectory: String? = nil, timeout: Double? = nil
) throws -> ToolResult {
    try spawnAndCollect(
        executable, args, environment: environment, stdin: stdin, currentDirectory: currentDirectory,
        timeout: timeout
    ).result
}

/// Runs an executable like `runProcess` and reports the peak resident set size of that
/// executable's process (not of the test process).
///
/// Why not `wait4`'s `ru_maxrss` of a directly spawned child: Linux folds the *parent's* peak
/// RSS into the child's `maxrss` at `exec` when the child was made by vfork/fork (as
/// posix_spawn does), so a large test process would make every child look large. A process
/// forked by a small intermediate is clean, so the measured executable is started under GNU
/// time (`/usr/bin/time -f %M`, Debian package `time`), which forks it and reports its
/// `ru_maxrss`. Without GNU time, falls back to sampling `VmHWM` in `/proc/<pid>/status`
/// every 2 ms while it runs (a lower bound that can miss growth in its last 2 ms).
/// - Returns: the result (the executable's own exit status and output) and the peak RSS in bytes.
/// - Throws: `HarnessError` when it cannot be spawned or measured.
public func runMeasured(
    _ exe: String, _ args: [String], environment: [String: String] = [:], stdin: String? = nil,
    timeout: Double? = nil
) throws -> (result: ToolResult, maxRSSBytes: Int) {
    let gnuTime = "/usr/bin/time"
    if FileManager.default.isExecutableFile(atPath: gnuTime) {
        let report = try TempDir(prefix: "snap-rss")
        let reportPath = report.path + "/rss"
        let path = try resolveExecutable(exe, environment: environment)
        let measured = try spawnAndCollect(
            gnuTime, ["-f", "%M", "-o", reportPath, path] + args, environment: environment, stdin: stdin,
            currentDirectory: nil, timeout: timeout
        ).result
        // GNU time writes "Command exited with non-zero status N" before the format line on failure.
        let text = (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
        let lastLine = text.split(separator: "\n").last.map(String.init) ?? ""
        guard let kib = Int(lastLine.trimmingCharacters(in: .whitespaces)) else {
            throw HarnessError("could not read the peak RSS of \(exe) from GNU time: '\(text)'\n\(measured)")
        }
        return (measured, kib * 1024)
    }
    let sampled = try spawnAndCollect(
        exe, args, environment: environment, stdin: stdin, currentDirectory: nil, timeout: timeout,
        sampleHighWaterMark: true)
    return (sampled.result, sampled.sampledHWMBytes)
}

/// Where `executable` is: itself when it contains "/", else the first match on PATH.
public func resolveExecutable(_ executable: String, environment: [String: String] = [:]) throws -> String {
    if executable.contains("/") { return executable }
    let path = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") where !dir.isEmpty {
        let candidate = "\(dir)/\(executable)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw HarnessError("\(executable) not found on PATH (\(path))")
}

// MARK: - Implementation

// glibc GNU extensions that the Glibc module does not import (they need _GNU_SOURCE).
@_silgen_name("pipe2")
private func c_pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func c_addchdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func c_addclosefrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
/// glibc's POSIX_SPAWN_SETSID (spawn.h, glibc 2.26+).
private let spawnSetSID: Int32 = 0x80

private let ignoreSIGPIPE: Void = {
    // A child that exits before reading all of its stdin must not kill the test process.
    signal(SIGPIPE, SIG_IGN)
}()

private struct Collected {
    var result: ToolResult
    var sampledHWMBytes: Int
}

/// A pipe whose both ends are close-on-exec in this process.
private func makePipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    guard c_pipe2(&fds, O_CLOEXEC) == 0 else {
        throw HarnessError("pipe2 failed: \(String(cString: strerror(errno)))")
    }
    return (fds[0], fds[1])
}

private func readAll(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            data.append(contentsOf: buffer[0..<n])
        } else if n == 0 || errno != EINTR {
            break
        }
    }
    close(fd)
    return data
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n > 0 {
            offset += n
        } else if n < 0 && errno == EINTR {
            continue
        } else {
            break  // EPIPE: the child stopped reading.
        }
    }
    close(fd)
}

/// Runs `body` on a fresh thread (not on Swift concurrency's small cooperative pool, which
/// blocking reads would starve); the returned semaphore is signalled when it finishes.
private func onThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        body()
        done.signal()
    }
    thread.stackSize = 512 * 1024
    thread.start()
    return done
}

private final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Builds a NULL-terminated C string array whose strings live until `body` returns.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) throws -> R) rethrows -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return try body(pointers)
}

private func mergedEnvironment(_ additions: [String: String]) -> [String] {
    var env = ProcessInfo.processInfo.environment
    for (key, value) in additions { env[key] = value }
    return env.map { "\($0.key)=\($0.value)" }
}

private func spawnAndCollect(
    _ executable: String, _ args: [String], environment: [String: String], stdin: String?,
    currentDirectory: String?, timeout: Double?, sampleHighWaterMark: Bool = false
) throws -> Collected {
    _ = ignoreSIGPIPE
    let path = try resolveExecutable(executable, environment: environment)
    let out = try makePipe()
    let err = try makePipe()
    let input: (read: Int32, write: Int32)? = try stdin.map { _ in try makePipe() }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let input {
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_adddup2(&actions, out.write, 1)
    posix_spawn_file_actions_adddup2(&actions, err.write, 2)
    if let currentDirectory {
        _ = c_addchdir(&actions, currentDirectory)
    }

    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    configureChildAttributes(&attr)

    var pid: pid_t = 0
    let rc = withCStrings([path] + args) { argv in
        withCStrings(mergedEnvironment(environment)) { envp in
            posix_spawn(&pid, path, &actions, &attr, argv, envp)
        }
    }
    close(out.write)
    close(err.write)
    if let input { close(input.read) }
    if rc != 0 {
        close(out.read)
        close(err.read)
        if let input { close(input.write) }
        throw HarnessError("cannot run \(path): \(String(cString: strerror(rc)))")
    }

    let stdoutData = Box(Data())
    let stderrData = Box(Data())
    let outDone = onThread { stdoutData.value = readAll(out.read) }
    let errDone = onThread { stderrData.value = readAll(err.read) }
    var inDone: DispatchSemaphore?
    if let input, let stdin {
        let bytes = Array(stdin.utf8)
        inDone = onThread { writeAll(input.write, bytes) }
    }

    // Timeout: kill the group unless the child has already exited (checked under a lock
    // before it is reaped, so a recycled pid is never hit).
    let state = NSLock()
    let exited = Box(false)
    let timedOut = Box(false)
    let finished = DispatchSemaphore(value: 0)
    var timerDone: DispatchSemaphore?
    if let timeout {
        let pid = pid
        timerDone = onThread {
            if finished.wait(timeout: .now() + timeout) == .timedOut {
                state.lock()
                if !exited.value {
                    timedOut.value = true
                    kill(-pid, SIGKILL)
                    kill(pid, SIGKILL)
                }
                state.unlock()
            }
        }
    }

    var hwm = 0
    if sampleHighWaterMark {
        while true {
            hwm = max(hwm, readHighWaterMark(pid))
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid {
                break
            }
            usleep(2000)
        }
    } else {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
    }
    state.lock()
    exited.value = true
    state.unlock()
    finished.signal()

    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    outDone.wait()
    errDone.wait()
    inDone?.wait()
    timerDone?.wait()

    let exitStatus: Int32
    if status & 0x7f == 0 {
        exitStatus = (status >> 8) & 0xff
    } else {
        exitStatus = 128 + (status & 0x7f)
    }
    let result = ToolResult(
        status: exitStatus,
        stdout: String(decoding: stdoutData.value, as: UTF8.self),
        stderr: String(decoding: stderrData.value, as: UTF8.self),
        timedOut: timedOut.value)
    return Collected(result: result, sampledHWMBytes: hwm)
}

/// `VmHWM` of a live process in bytes, 0 when it cannot be read (process gone or a zombie).
private func readHighWaterMark(_ pid: pid_t) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.dropFirst("VmHWM:".count).filter(\.isNumber)
        return (Int(String(digits)) ?? 0) * 1024
    }
    return 0
}

// MARK: - Detached and fire-and-forget processes

/// Starts a process in a new session with /dev/null for stdin, stdout and stderr and every other
/// descriptor closed, and does not wait for it: it outlives this process (watchdogs).
func spawnDetached(_ argv: [String]) throws {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    _ = c_addclosefrom(&actions, 3)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var defaults = sigset_t()
    sigfillset(&defaults)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setflags(
        &attr, Int16(spawnSetSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    let rc = withCStrings(argv) { args in
        withCStrings(mergedEnvironment([:])) { envp in
            posix_spawn(&pid, argv[0], &actions, &attr, args, envp)
        }
    }
    if rc != 0 { throw HarnessError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
}

/// Runs a command to completion with no threads and no captured output; safe to call from an
/// `atexit` handler. Returns the raw wait status, or -1 when it could not be spawned.
@discardableResult
func runQuietly(_ argv: [String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var pid: pid_t = 0
    let rc = withCStrings(argv) { args in
        withCStrings(mergedEnvironment([:])) { envp in
            posix_spawn(&pid, argv[0], &actions, nil, args, envp)
        }
    }
    if rc != 0 { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// Quotes a word for /bin/sh.
func shellQuote(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Spawn attributes every child of the tests gets: its own process group (so a timeout kills
/// its children too), default SIGPIPE handling (this process ignores SIGPIPE), and an empty
/// signal mask (a test thread may block SIGTERM, and a child would inherit that and ignore it).
func configureChildAttributes(_ attr: inout posix_spawnattr_t) {
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setpgroup(&attr, 0)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
}

/// Writes an executable script (mode 0755) from a child process, so this process never holds a
/// file descriptor open for writing on it. Written in-process, a descriptor can leak into a
/// process another test spawns at that moment, and the script's exec then fails with "Text file
/// busy" (ETXTBSY) for as long as that process lives.
public func writeExecutable(_ text: String, to path: String) throws {
    let result = try runProcess("/bin/sh", ["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh", path], stdin: text, timeout: 30)
    guard result.status == 0 else { throw HarnessError("writing \(path) failed: \(result)") }
}

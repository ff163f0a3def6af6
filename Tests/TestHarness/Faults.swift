import Foundation

#if canImport(Glibc)
import Glibc
#endif

// Helpers for fault-injection tests: run the work on a thread while the fault is injected on
// this one, wait for a condition, and a small tmpfs for disk-full tests.

private final class Slot<T>: @unchecked Sendable {
    var value: T?
}

/// Runs `body` on a thread while `fault` runs on this one; returns `body`'s outcome once both
/// are done (also when `fault` throws: then that error is rethrown after `body` ends).
public func whileRunning<T>(_ body: @escaping @Sendable () throws -> T, fault: () throws -> Void) throws -> Result<T, Error> {
    let slot = Slot<Result<T, Error>>()
    let done = DispatchSemaphore(value: 0)
    Thread {
        slot.value = Result { try body() }
        done.signal()
    }.start()
    do { try fault() } catch { done.wait(); throw error }
    done.wait()
    return slot.value!
}

/// Polls `condition` every 5 ms for up to `seconds`; true once it held.
@discardableResult
public func pollUntil(_ seconds: Double = 60, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(5_000)
    }
    return false
}

/// A tmpfs of a few megabytes mounted on a directory, so a write fills the disk; unmounted
/// (lazily) when the object goes away. Mounting needs root (or CAP_SYS_ADMIN): gate the test on
/// `Tmpfs.canMount`, which is then reported as skipped with the trait's reason:
///
///     @Test("...", .enabled(if: Tmpfs.canMount, "needs root to mount a tmpfs"))
public final class Tmpfs: @unchecked Sendable {
    public let path: String

    /// Whether this process can mount a tmpfs, tried once (a 1 MB mount in a temporary directory).
    public static let canMount: Bool = {
        guard let dir = try? TempDir(prefix: "tmpfs-probe") else { return false }
        return withExtendedLifetime(dir) {
            // Unmounted as the probe goes away here, before the directory is removed.
            (try? Tmpfs(at: dir.path + "/m", size: "1m")) != nil
        }
    }()

    /// Mounts a tmpfs of `size` (mount(8)'s `size=`, e.g. "2m") on `path`, creating the directory.
    /// - Throws: `HarnessError` with mount's message when it cannot be mounted.
    public init(at path: String, size: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try runProcess("mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path], timeout: 30)
        guard mount.succeeded else {
            throw HarnessError("cannot mount a tmpfs on \(path): \(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        self.path = path
    }

    deinit {
        _ = try? runProcess("umount", ["-l", path], timeout: 30)
    }
}

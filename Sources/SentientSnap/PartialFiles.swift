import Foundation
import Synchronization

/// Partial files to remove if the process is interrupted (see the CLI's signal handling).
public final class PartialFiles: Sendable {
    public static let shared = PartialFiles()
    private struct State {
        var paths: Set<String> = []
        var actions: [String: @Sendable () -> String?] = [:]
        var caught = false
    }
    private let state = Mutex(State())

    public func register(_ path: String) {
        state.withLock { _ = $0.paths.insert(path) }
    }

    public func unregister(_ path: String) {
        state.withLock { _ = $0.paths.remove(path) }
    }

    /// Set by `removeAll` before it acts: work that fails because the cleanup pulled the ground
    /// from under it (a load into a staging database being dropped) checks this, and leaves the
    /// report and the exit to the signal handler instead of reporting an error of its own.
    public var interrupted: Bool {
        state.withLock { $0.caught }
    }

    /// Registers work to undo on SIGINT/SIGTERM (dropping a staging database); it returns what
    /// it did, for the exit message. Actions run under this object's lock, so once
    /// `unregisterAction` returns its action will not run.
    public func registerAction(_ key: String, _ action: @escaping @Sendable () -> String?) {
        state.withLock { $0.actions[key] = action }
    }

    public func unregisterAction(_ key: String) {
        state.withLock { $0.actions[key] = nil }
    }

    private let critical = NSLock()

    /// Holds off SIGINT/SIGTERM cleanup (and so the exit) until `endCritical()`: a database
    /// swap must not stop between its renames.
    public func beginCritical() { critical.lock() }
    public func endCritical() { critical.unlock() }

    /// Removes every registered partial file and runs the registered actions (called on
    /// SIGINT/SIGTERM; waits for a critical section to end, and the caller then exits).
    /// - Returns: what the actions said they did.
    @discardableResult
    public func removeAll() -> [String] {
        state.withLock { $0.caught = true }
        critical.lock()
        let (current, notes) = state.withLock { state in
            let notes = state.actions.keys.sorted().compactMap { state.actions[$0]!() }
            state.actions = [:]
            return (state.paths, notes)
        }
        for path in current { unlink(path) }
        return notes
    }
}

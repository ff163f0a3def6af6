import ArgumentParser
import Foundation
import SentientSnap

/// `--on-success CMD` / `--on-failure CMD`: shell commands run after the command finishes.
struct HookOptions: ParsableArguments {
    @Option(name: .customLong("on-success"), help: "Shell command run (/bin/sh -c) when the command succeeds; the outcome is in SENTIENT_HOOK_* variables.")
    var onSuccess: String?

    @Option(name: .customLong("on-failure"), help: "Shell command run (/bin/sh -c) when the command fails; its failure never changes the exit status.")
    var onFailure: String?

    /// Runs `body`, then the matching hook with the outcome; rethrows the body's outcome as is.
    /// - Parameter json: the command prints JSON on stdout, so the hook's stdout goes to stderr.
    func wrap(command: String, room: String?, json: Bool, _ body: () throws -> Void) throws {
        let context = HookContext.shared
        context.reset()
        do {
            try body()
            if let onSuccess {
                run(onSuccess, HookOutcome(command: command, room: room, archive: context.archive, exitCode: 0,
                                           message: context.message ?? "\(command)\(room.map { " of \($0)" } ?? "") succeeded"), json: json)
            }
        } catch {
            let code: Int32
            if let exit = error as? ExitCode { code = exit.rawValue } else { code = ExitStatus.code(for: error) }
            let succeeded = code == 0
            if let hook = succeeded ? onSuccess : onFailure {
                let message = context.message ?? (succeeded ? "\(command) succeeded" : "\(command)\(room.map { " of \($0)" } ?? "") failed with exit status \(code)")
                run(hook, HookOutcome(command: command, room: room, archive: context.archive, exitCode: code, message: message), json: json)
            }
            throw error
        }
    }

    private func run(_ hook: String, _ outcome: HookOutcome, json: Bool) {
        if let problem = Hook.run(hook, outcome: outcome, stdoutToStderr: json) {
            FileHandle.standardError.write(Data("sentient-snap: warning: \(outcome.exitCode == 0 ? "--on-success" : "--on-failure") hook failed: \(problem)\n".utf8))
        }
    }
}

/// What the running command learned for its hooks: the archive it made or used, and the
/// message it printed on failure (set by `runReportingErrors`).
final class HookContext: @unchecked Sendable {
    static let shared = HookContext()
    private let lock = NSLock()
    private var _archive: String?
    private var _message: String?

    var archive: String? {
        get { lock.withLock { _archive } }
        set { lock.withLock { _archive = newValue } }
    }

    var message: String? {
        get { lock.withLock { _message } }
        set { lock.withLock { _message = newValue } }
    }

    func reset() {
        lock.withLock {
            _archive = nil
            _message = nil
        }
    }
}

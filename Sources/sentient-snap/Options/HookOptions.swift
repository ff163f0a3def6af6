import ArgumentParser
import Foundation
import SentientSnap
import Synchronization

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
final class HookContext: Sendable {
    static let shared = HookContext()
    private let state = Mutex<(archive: String?, message: String?)>((nil, nil))

    var archive: String? {
        get { state.withLock { $0.archive } }
        set { state.withLock { $0.archive = newValue } }
    }

    var message: String? {
        get { state.withLock { $0.message } }
        set { state.withLock { $0.message = newValue } }
    }

    func reset() {
        state.withLock { $0 = (nil, nil) }
    }
}

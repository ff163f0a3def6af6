import Foundation

/// A command's outcome, handed to `--on-success` / `--on-failure` hooks in the environment.
public struct HookOutcome: Sendable {
    public var command: String
    public var room: String?
    public var archive: String?
    public var exitCode: Int32
    public var message: String

    public init(command: String, room: String? = nil, archive: String? = nil, exitCode: Int32, message: String) {
        self.command = command
        self.room = room
        self.archive = archive
        self.exitCode = exitCode
        self.message = message
    }

    /// `SENTIENT_HOOK_COMMAND`, `_ROOM`, `_ARCHIVE`, `_EXIT_CODE`, `_MESSAGE`.
    public var environment: [String: String] {
        [
            "SENTIENT_HOOK_COMMAND": command, "SENTIENT_HOOK_ROOM": room ?? "", "SENTIENT_HOOK_ARCHIVE": archive ?? "",
            "SENTIENT_HOOK_EXIT_CODE": String(exitCode), "SENTIENT_HOOK_MESSAGE": message,
        ]
    }
}

/// Runs a user's hook command (`/bin/sh -c CMD`) with the outcome in its environment.
public enum Hook {
    /// Runs `command` and waits for it. The hook's stdout and stderr go to ours.
    /// - Returns: nil when the hook succeeded, else what went wrong (a failing hook never
    ///   changes the command's own exit code, so this is for reporting only).
    public static func run(_ command: String, outcome: HookOutcome) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ProcessInfo.processInfo.environment.merging(outcome.environment) { $1 }
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        do {
            try process.run()
        } catch {
            return "cannot start /bin/sh for the hook: \(error.localizedDescription)"
        }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal { return "the hook was killed by signal \(process.terminationStatus)" }
        return process.terminationStatus == 0 ? nil : "the hook exited with status \(process.terminationStatus)"
    }
}

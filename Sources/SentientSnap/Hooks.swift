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
    /// True for a variable a hook must not inherit: `PGPASSWORD`, and any name ending in
    /// `_PASSWORD`, `_PASS`, `_SECRET`, `_SECRET_ACCESS_KEY` or `_SESSION_TOKEN`
    /// (`SENTIENT_PG_PASSWORD`, `SENTIENT_MQTT_PASSWORD`, `AWS_SECRET_ACCESS_KEY`, ...). A hook is
    /// often an alert script that logs or forwards its environment.
    public static func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper == "PGPASSWORD" { return true }
        return ["_PASSWORD", "_PASS", "_SECRET", "_SECRET_ACCESS_KEY", "_SESSION_TOKEN"].contains { upper.hasSuffix($0) }
    }

    /// The hook's environment: ours without secrets, plus the outcome's `SENTIENT_HOOK_*`.
    public static func environment(for outcome: HookOutcome, base: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        base.filter { !isSecret($0.key) }.merging(outcome.environment) { $1 }
    }

    /// Runs `command` and waits for it. The hook's stderr goes to ours; its stdout to ours, or
    /// to our stderr when `stdoutToStderr` (with `--json`, so stdout stays one JSON document).
    /// - Returns: nil when the hook succeeded, else what went wrong (a failing hook never
    ///   changes the command's own exit code, so this is for reporting only).
    public static func run(_ command: String, outcome: HookOutcome, stdoutToStderr: Bool = false) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = environment(for: outcome)
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        if stdoutToStderr { process.standardOutput = FileHandle.standardError }
        // What we printed so far comes before the hook's output.
        fflush(nil)
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

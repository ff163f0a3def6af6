import ArgumentParser

// The commands with --on-success / --on-failure: their bodies (`runCommand`) run inside the
// hook wrapper, which sees the outcome, including a refusal to run as root.

extension Backup {
    func run() throws {
        try hooks.wrap(command: "backup", room: room.name, json: output.json) {
            try metrics.record(.backup, room: room.name) { try runCommand() }
        }
    }
}

extension Restore {
    func run() throws {
        try hooks.wrap(command: "restore", room: room.name, json: output.json) {
            HookContext.shared.archive = archive
            try metrics.record(.restore, room: room.name, skip: dryRun) { try runCommand() }
        }
    }
}

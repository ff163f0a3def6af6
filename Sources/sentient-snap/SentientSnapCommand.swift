import ArgumentParser
import SentientSnap
import Synchronization

@main
struct SentientSnapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentient-snap",
        abstract: "Back up and restore Sentient Engine escape rooms over their published ports.",
        discussion: """
            sentient-snap talks to a room's PostgreSQL with libpq and writes one .tar.gz per \
            backup: manifest.json, the room's config tree and db/database.dump (a custom-format \
            dump that stock pg_restore also reads). It needs neither docker exec nor pg_dump.

            EXAMPLES:
              sentient-snap backup pharaohs /var/backups/sentient
              sentient-snap backup clockwork /var/backups/sentient --pg-port 5433 --json

            GLOBAL OPTIONS:
              --verbose   On failure, also print the cause chain (each wrapped error).

            \(exitStatusHelp)
            """,
        version: SentientSnapVersion.current,
        subcommands: [Backup.self, BackupAll.self, Restore.self, Verify.self, List.self, Status.self, Prune.self, Export.self, SyncOffsite.self]
    )

    /// Takes the global flags (`--verbose`) off the command line before ArgumentParser sees it,
    /// so they work before or after any subcommand.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        GlobalFlags.extract(from: &arguments)
        main(arguments)
    }
}

/// Flags every command takes. `--verbose`: on failure, also print the error's cause chain
/// (each wrapped error with its type and code) after the one-line message.
enum GlobalFlags {
    private static let verboseFlag = Atomic(false)
    static var verbose: Bool {
        get { verboseFlag.load(ordering: .relaxed) }
        set { verboseFlag.store(newValue, ordering: .relaxed) }
    }

    /// Removes `--verbose` (before a `--` that ends the options) and remembers it.
    static func extract(from arguments: inout [String]) {
        let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
        if let index = arguments[..<end].firstIndex(of: "--verbose") {
            verbose = true
            arguments.remove(at: index)
            extract(from: &arguments)
        }
    }
}

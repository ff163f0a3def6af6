import ArgumentParser
import SentientSnap

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

            \(exitStatusHelp)
            """,
        version: SentientSnapVersion.current,
        subcommands: [Backup.self, BackupAll.self, Restore.self, Verify.self, List.self, Status.self, Prune.self, Export.self, SyncOffsite.self]
    )
}

import ArgumentParser
import Foundation
import SentientSnap

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an archive's database out for stock PostgreSQL tools.",
        // argument-parser prints its synopsis on one line; every option would need 89 columns.
        usage: "sentient-snap export <archive> [--dump <dump>] [--sql <sql>] [<options>]",
        discussion: """
            --dump writes db/database.dump as it is: a custom-format dump for stock pg_restore. \
            --sql renders it as a plain SQL script (as pg_restore -f would) that psql -f restores \
            into an empty database. Both stream out of the archive; the whole archive is read and \
            checked, and a damaged one leaves no output. FILE must not exist (export never \
            overwrites; exit 73) or may be - for stdout. The SQL script opens with \\restrict KEY \
            (psql 15.14+), so meta-commands hidden in an archive do not run. Changes nothing, so \
            it needs no --allow-root.

            EXAMPLES:
              sentient-snap export ARCHIVE --dump /tmp/pharaohs.dump && \\
                  pg_restore -d newdb /tmp/pharaohs.dump
              sentient-snap export ARCHIVE --sql /tmp/pharaohs.sql && \\
                  psql -v ON_ERROR_STOP=1 -d newdb -f /tmp/pharaohs.sql
              sentient-snap export ARCHIVE --sql - --no-owner | less

            \(exitStatusHelp)
            """
    )

    @Argument(help: "The archive (.tar.gz, .tar.gz.age with --identity, or s3://BUCKET/PREFIX/ARCHIVE, downloaded first).")
    var archive: String

    @Option(help: "Write the custom-format dump (for pg_restore) to FILE.")
    var dump: String?

    @Option(help: "Write a plain SQL script (for psql -f) to FILE.")
    var sql: String?

    @Flag(name: .customLong("no-owner"), help: "Leave ALTER ... OWNER TO out of the SQL script (objects belong to whoever runs it).")
    var noOwner = false

    @OptionGroup var s3: S3ArchiveOptions

    @Flag(help: "Print one JSON object describing what was written.")
    var json = false

    @OptionGroup var identity: IdentityOptions

    func validate() throws {
        if dump == nil && sql == nil { throw ValidationError("name an output: --dump FILE or --sql FILE (or both).") }
        if dump == "-" && sql == "-" { throw ValidationError("--dump and --sql cannot both write to stdout.") }
        if json && (dump == "-" || sql == "-") { throw ValidationError("--json cannot be combined with output to stdout (-).") }
    }

    func run() throws {
        SignalCleanup.install()
        try runReportingErrors {
            var results: [ExportResult] = []
            let keys = try identity.keys()
            try s3.withLocalArchive(archive) { archive in
                if let dump { results.append(try DumpExport.export(archive: archive, to: dump, format: .dump, keys: keys)) }
                if let sql { results.append(try DumpExport.export(archive: archive, to: sql, format: .sql, noOwner: noOwner, keys: keys)) }
            }
            if json {
                print(try jsonString(results))
            } else {
                for result in results where result.output != "-" {
                    FileHandle.standardError.write(Data("wrote \(result.output) (\(result.format), \(formatBytes(result.bytes)))\n".utf8))
                }
            }
        }
    }
}

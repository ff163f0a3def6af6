import ArchiveWriter
import Foundation
import PGDump
import PGWire

/// `restore --in-place`: loads the archive into the live database itself, for PostgreSQL users
/// that own the room's database but lack CREATEDB (so no staging database can be made).
///
/// Not atomic, unlike the staging restore: the live database's schemas are dropped (in one
/// transaction) and reloaded from the archive. If the load fails half-way the database is
/// left incomplete; no copy of the old contents is kept. The plan and the confirmation say so.
enum InPlaceRestore {
    /// The plan line shown before confirmation.
    static func planLine(live: String, settings: RoomSettings) -> String {
        "database: restore IN PLACE into \(live) on \(settings.host):\(settings.pgPort): its schemas are dropped and reloaded"
            + " from the archive. This is NOT atomic: if the restore fails half-way the database is left incomplete, no copy"
            + " of the current database is kept, and the room's own writes during the restore may fail"
    }

    /// Empties the live database and restores the dump into it.
    ///
    /// Every schema but the system ones is dropped (in one transaction) and `public` recreated
    /// as in template0; then the dump is loaded and row counts checked against the manifest.
    /// Objects keep their archived owners only when a superuser restores without `--no-owner`;
    /// otherwise they belong to the restoring user. `--no-acl` and `--no-tablespaces` apply as in staging.
    /// - Throws: `SnapError(.failure)` before anything changed when the user does not own the
    ///   database; `SnapError(.failure)` saying the database is incomplete when the load fails.
    static func run(
        settings: RoomSettings, archive: String, inspection: ArchiveInspection, options requested: RestoreOptions,
        progress: @escaping @Sendable (RestoreProgress) -> Void
    ) throws -> RestoreStats {
        let live = settings.pgDatabase
        let connection = try Connection(settings.connection)
        let owner = try connection.query("""
            SELECT pg_catalog.pg_get_userbyid(d.datdba), r.rolsuper OR pg_catalog.pg_has_role(d.datdba, 'MEMBER'), r.rolsuper
            FROM pg_catalog.pg_database d, pg_catalog.pg_roles r
            WHERE d.datname = pg_catalog.current_database() AND r.rolname = current_user
            """).rows[0]
        let superuser = try owner.get(2, as: Bool.self)
        guard try owner.get(1, as: Bool.self) else {
            throw SnapError(.failure, "--in-place needs the PostgreSQL user \(settings.pgUser) to own the database \(live) (its owner is \(try owner.get(0, as: String.self))); nothing was changed")
        }

        // Other sessions would hold locks on the tables being dropped; the room reconnects later.
        _ = try? connection.query("""
            SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity
            WHERE datname = pg_catalog.current_database() AND pid <> pg_catalog.pg_backend_pid()
            """)
        do {
            // READ WRITE: a database the room keeps read-only by default is still emptied.
            try connection.execute("BEGIN READ WRITE")
            let schemas = try connection.query("""
                SELECT nspname FROM pg_catalog.pg_namespace
                WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'
                ORDER BY 1
                """).rows.compactMap { $0[0] }
            for schema in schemas {
                try connection.execute("DROP SCHEMA \(quoteIdentifier(schema)) CASCADE")
            }
            // `public` as template0 has it, which is what the dump expects to find.
            try connection.execute("CREATE SCHEMA public")
            if connection.serverVersionNumber >= 150000 {
                // PostgreSQL 15 refuses this to a database owner that is not a superuser ("must be
                // member of role pg_database_owner"); the schema then stays owned by the owner.
                try connection.execute("SAVEPOINT public_owner")
                do {
                    try connection.execute("ALTER SCHEMA public OWNER TO pg_database_owner")
                    try connection.execute("RELEASE SAVEPOINT public_owner")
                } catch {
                    try connection.execute("ROLLBACK TO SAVEPOINT public_owner")
                }
                try connection.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
            } else {
                try connection.execute("GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC")
            }
            try connection.execute("COMMENT ON SCHEMA public IS 'standard public schema'")
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw SnapError(.failure, "could not empty the database \(live) for the in-place restore (\(error)); the transaction was rolled back, so nothing was changed", underlying: error)
        }

        do {
            var options = requested
            // Who runs --in-place cannot create databases, so cannot give objects to other roles
            // either: like pg_restore --no-owner, they belong to the restoring user.
            options.noOwner = requested.noOwner || !superuser
            let stats = try ArchiveDatabase.load(
                archive: archive, inspection: inspection, target: settings.connection, options: options, progress: progress)
            if let wrong = ArchiveDatabase.rowMismatches(stats.rows, inspection: inspection).first {
                throw SnapError(.failure, "table \(wrong.table) has \(wrong.restored ?? 0) rows after the restore, the archive says \(wrong.expected)")
            }
            return stats
        } catch {
            throw SnapError(.failure, "the in-place restore of \(live) failed half-way (\(error)); the database is now INCOMPLETE — run the restore again (the room's config was not changed)", underlying: error)
        }
    }
}

import Foundation
import PGDump
import PGWire

/// `verify --restore-test`: restores an archive's database into a throwaway database on a
/// server, compares per-table row counts with what the archive says, and drops it again.
public enum RestoreTest {
    /// - Returns: rows per table as restored.
    /// - Throws: `SnapError(.damagedArchive)` when counts differ; connection and restore errors.
    public static func run(archive: String, inspection: ArchiveInspection, settings: RoomSettings) throws -> [String: Int64] {
        guard inspection.database != .none else {
            throw SnapError(.usage, "\(archive) holds no database, so there is nothing to restore-test")
        }
        let maintenance = try Connection(settings.maintenanceConnection)
        let name = RestoreJob.databaseName(settings.pgDatabase, suffix: "_verify_\(RestoreJob.stamp(Date()))_\(getpid())")
        do {
            try maintenance.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
        } catch let error as PGError {
            throw SnapError(.failure, "cannot create the throwaway database \(name) for the restore test: \(error.serverMessage) — the PostgreSQL user needs CREATEDB", underlying: error)
        }
        defer { try? maintenance.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)") }
        let target = settings.connection.with(database: name)
        var options = RestoreOptions()
        // Only the data is under test: owners and grants need roles this server may not have.
        options.noOwner = true
        options.noACL = true
        let stats = try ArchiveDatabase.load(archive: archive, inspection: inspection, target: target, options: options)
        let problems = ArchiveDatabase.rowMismatches(stats.rows, inspection: inspection).map {
            "table \($0.table): \($0.restored.map(String.init) ?? "no") rows restored, manifest.json says \($0.expected)"
        }
        if !problems.isEmpty {
            throw SnapError(.damagedArchive, "\(archive) failed the restore test:\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
        }
        return stats.rows
    }
}

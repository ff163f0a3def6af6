import ArchiveWriter
import PGDump
import PGWire

/// Loading an archive's database into a database that exists: the one path the staging restore,
/// the in-place restore and `verify --restore-test` share.
enum ArchiveDatabase {
    /// Streams `db/database.dump` (custom format, ours or stock pg_dump's) or the old scripts'
    /// `db/database.sql` out of the archive into `target`.
    static func load(
        archive: String, inspection: ArchiveInspection, target: ConnectionSettings, options: RestoreOptions,
        progress: (@Sendable (RestoreProgress) -> Void)? = nil
    ) throws -> RestoreStats {
        let plain = inspection.database == .plainSQL
        let name = "\(inspection.topDirectory)/db/" + (plain ? "database.sql" : "database.dump")
        let reader = try ArchiveFile.reader(archive, keys: inspection.keys).reader
        while let entry = try reader.next(), entry.metadata.name != name {}
        if plain {
            // Plain pg_dump output, split and run statement by statement.
            return try PlainSQLRestore(target: target).restore(from: { try reader.read(into: $0) })
        }
        return try RestoreEngine(target: target, options: options)
            .restore(from: CustomArchiveDecoder { try reader.read(into: $0) }, progress: progress)
    }

    /// Tables whose restored row count differs from manifest.json's (none for old archives,
    /// which record no counts).
    static func rowMismatches(_ rows: [String: Int64], inspection: ArchiveInspection) -> [(table: String, restored: Int64?, expected: Int64)] {
        (inspection.manifest?.database?.tables ?? []).compactMap { table in
            let key = "\(table.schema).\(table.name)"
            return rows[key] == table.rows ? nil : (key, rows[key], table.rows)
        }
    }
}

import PGWire

// Tablespaces of tables, materialized views and indexes. pg_dump writes a relation's
// tablespace into its TOC entry's tablespace field ("" for the database's default), never into
// the CREATE statement, and pg_restore sets default_tablespace from that field before the
// entry (its _selectTablespace); --no-tablespaces on either side leaves them out.

extension SchemaReader {
    /// SQL for the name of the tablespace `oid` (a reltablespace column), NULL for the default.
    static func tablespaceName(_ oid: String) -> String {
        "(SELECT t.spcname FROM pg_catalog.pg_tablespace t WHERE t.oid = \(oid))"
    }
}

extension RestoreEngine {
    /// `SET default_tablespace` for an entry that names a tablespace, as pg_restore emits it
    /// before the entry; nil for entries without the field. Where pg_restore sets '' for an
    /// entry in the default tablespace, this resets to the session's own default, so a
    /// default_tablespace the target sets for the restoring role or database still applies,
    /// as it does with --no-tablespaces.
    static func tablespaceStatement(_ entry: TOCEntry, noTablespaces: Bool) -> String? {
        guard !noTablespaces, let tablespace = entry.tablespace else { return nil }
        return tablespace.isEmpty ? "RESET default_tablespace;" : "SET default_tablespace = \(quoteIdentifier(tablespace));"
    }

    /// Tablespaces are cluster-wide and not in the archive: a target that lacks one the dump
    /// puts a relation in makes the restore stop before it changes anything.
    func checkTablespaces(_ entries: [TOCEntry], on connection: Connection) throws {
        guard !options.noTablespaces else { return }
        let needed = Set(entries.compactMap(\.tablespace).filter { !$0.isEmpty })
        guard !needed.isEmpty else { return }
        let existing = Set(try connection.query(
            "SELECT spcname FROM pg_catalog.pg_tablespace WHERE spcname = ANY($1::text[])",
            ["{" + needed.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"]
        ).rows.compactMap { $0[0] })
        let missing = needed.subtracting(existing).sorted()
        guard !missing.isEmpty else { return }
        throw DumpError(
            .missingTablespaces,
            "the target server lacks tablespace(s) that tables or indexes in this dump are stored in: \(missing.joined(separator: ", ")). Create them first (CREATE TABLESPACE), or restore with --no-tablespaces (everything goes to the database's default tablespace). Nothing was restored.",
            object: missing.first)
    }
}

import PGWire

/// Finds objects the dump cannot reproduce yet, so a backup refuses them by name instead
/// of silently leaving them out. Each check returns human-readable object names.
struct UnsupportedObjectScanner {
    let connection: Connection

    private static let checks: [String] = [
        // Table features beyond what the dump writes.
        """
        SELECT 'table ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) || ' ('
               || pg_catalog.concat_ws(', ',
                    CASE WHEN c.reltablespace <> 0 THEN 'tablespace' END) || ')'
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm') AND \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
          AND c.reltablespace <> 0
        """,
        """
        SELECT 'index ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ic.relname) || ' (tablespace)'
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
        WHERE ic.reltablespace <> 0 AND \(userNamespaceFilter)
        """,
        """
        SELECT 'security label on ' || pg_catalog.pg_describe_object(classoid, objoid, objsubid) FROM pg_catalog.pg_seclabel
        """,
    ]

    /// - Returns: the names of every object found that the dump cannot reproduce.
    func scan() throws -> [String] {
        var found: [String] = []
        for sql in Self.checks {
            for row in try connection.query(sql).rows {
                if let name = row[0] { found.append(name) }
            }
        }
        return found
    }
}

import PGWire

// Shared catalog filters, and the relations a dump locks before reading the catalog.

/// Namespaces that belong to the user, not the system.
/// Schemas left out with --exclude-schema travel in the session setting sentient.exclude_schemas
/// (a JSON array), so every catalog query honours them.
let userNamespaceFilter = """
    n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
    AND NOT (n.nspname = ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text(
        COALESCE(NULLIF(pg_catalog.current_setting('sentient.exclude_schemas', true), ''), '[]')::pg_catalog.jsonb))))
    """

/// Objects created by an extension are dumped as the CREATE EXTENSION, never one by one.
func notExtensionMember(_ catalog: String, _ oidColumn: String) -> String {
    """
    NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '\(catalog)'::pg_catalog.regclass
        AND e.objid = \(oidColumn) AND e.deptype = 'e')
    """
}

struct CatalogReader {
    let connection: Connection

    /// Tables and sequences to lock before reading the rest of the catalog.
    func relationsToLock() throws -> [String] {
        try connection.query("""
            SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY 1
            """
        ).rows.map { try $0.get(0, as: String.self) }
    }
}

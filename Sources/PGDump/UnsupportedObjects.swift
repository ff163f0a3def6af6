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
        systemPrivilegesCheck,
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

    /// Privileges changed on the system's own objects in pg_catalog (compared with
    /// pg_init_privs): pg_dump writes them, we do not yet. (pg_dump leaves information_schema
    /// out entirely, and PostgreSQL 15 records no initial privileges for it.)
    private static let systemPrivilegesCheck = """
        SELECT 'privileges on schema ' || pg_catalog.quote_ident(n.nspname)
        FROM pg_catalog.pg_namespace n
        WHERE n.nspname = 'pg_catalog'
          AND n.nspacl::text IS DISTINCT FROM \(initPrivileges("pg_namespace", "n.oid", "0"))
        UNION ALL
        SELECT 'privileges on ' || CASE c.relkind WHEN 'S' THEN 'sequence ' ELSE 'table ' END || 'pg_catalog.' || pg_catalog.quote_ident(c.relname)
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'pg_catalog'
          AND c.relacl::text IS DISTINCT FROM \(initPrivileges("pg_class", "c.oid", "0"))
        UNION ALL
        SELECT 'privileges on table pg_catalog.' || pg_catalog.quote_ident(c.relname) || ' (column ' || pg_catalog.quote_ident(a.attname) || ')'
        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'pg_catalog' AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attacl::text IS DISTINCT FROM \(initPrivileges("pg_class", "c.oid", "a.attnum"))
        UNION ALL
        SELECT 'privileges on function pg_catalog.' || pg_catalog.quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'pg_catalog'
          AND p.proacl::text IS DISTINCT FROM \(initPrivileges("pg_proc", "p.oid", "0"))
        UNION ALL
        SELECT 'privileges on type ' || pg_catalog.format_type(t.oid, NULL)
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'pg_catalog'
          AND t.typacl::text IS DISTINCT FROM \(initPrivileges("pg_type", "t.oid", "0"))
        """

    private static func initPrivileges(_ catalog: String, _ oid: String, _ subid: String) -> String {
        """
        (SELECT i.initprivs::text FROM pg_catalog.pg_init_privs i
         WHERE i.classoid = 'pg_catalog.\(catalog)'::pg_catalog.regclass AND i.objoid = \(oid) AND i.objsubid = \(subid))
        """
    }

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

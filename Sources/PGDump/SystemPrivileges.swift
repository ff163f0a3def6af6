import PGWire

extension SchemaReader {
    /// Privileges changed on objects the dump does not create: the system's own objects in
    /// pg_catalog (and the schema itself), and extensions' member objects (CREATE EXTENSION
    /// makes them). pg_dump writes these as lone "ACL" entries (its DUMP_COMPONENT_ACL for
    /// pg_catalog and extension members) holding the GRANT/REVOKE difference between the
    /// privileges the object started with (pg_init_privs, else the built-in default) and its
    /// current ones, tagged and named as dumpACL names them. They go after everything else.
    mutating func readSystemPrivileges() throws {
        guard !options.noACL else { return }
        // pg_catalog itself and schemas an extension created.
        for row in try rows("""
            SELECT pg_catalog.quote_ident(n.nspname) AS q, pg_catalog.pg_get_userbyid(n.nspowner) AS owner, n.nspacl::text AS acl,
                   \(Self.basePrivileges("pg_namespace", "n.oid", default: "pg_catalog.acldefault('n', n.nspowner)")) AS base
            FROM pg_catalog.pg_namespace n
            WHERE n.nspacl IS NOT NULL
              AND (n.nspname = 'pg_catalog' OR (\(Self.extensionMember("pg_namespace", "n.oid")) AND \(userNamespaceFilter)))
            ORDER BY n.nspname
            """)
        {
            try addSystemACL(row, type: "SCHEMA", name: try row.get("q"), namespace: nil)
        }
        // Procedural languages: plpgsql, and any other an extension made (pg_dump reads only
        // languages with lanispl; the others cannot carry grants it would write).
        for row in try rows("""
            SELECT pg_catalog.quote_ident(l.lanname) AS q, pg_catalog.pg_get_userbyid(l.lanowner) AS owner, l.lanacl::text AS acl,
                   \(Self.basePrivileges("pg_language", "l.oid", default: "pg_catalog.acldefault('l', l.lanowner)")) AS base
            FROM pg_catalog.pg_language l
            WHERE l.lanacl IS NOT NULL AND l.lanispl AND \(Self.extensionMember("pg_language", "l.oid"))
            ORDER BY l.lanname
            """)
        {
            try addSystemACL(row, type: "LANGUAGE", name: try row.get("q"), namespace: nil)
        }
        // Types (not array types, not the row types of tables), named by typname as dumpType does.
        for row in try rows("""
            SELECT n.nspname, pg_catalog.quote_ident(n.nspname) AS qschema, pg_catalog.quote_ident(t.typname) AS q,
                   t.typtype, pg_catalog.pg_get_userbyid(t.typowner) AS owner, t.typacl::text AS acl,
                   \(Self.basePrivileges("pg_type", "t.oid", default: "pg_catalog.acldefault('T', t.typowner)")) AS base
            FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            WHERE t.typacl IS NOT NULL AND \(Self.systemOrMember("pg_type", "t.oid"))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
              AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
            ORDER BY n.nspname, t.typname
            """)
        {
            try addSystemACL(row, type: row["typtype"] == "d" ? "DOMAIN" : "TYPE", name: try row.get("q"), namespace: row["nspname"])
        }
        // Functions, procedures and aggregates. pg_dump names an aggregate by its argument
        // types alone ("percentile_cont(double precision, double precision)"), others by
        // their identity arguments.
        for row in try rows("""
            SELECT n.nspname, pg_catalog.quote_ident(n.nspname) AS qschema, p.prokind,
                   pg_catalog.quote_ident(p.proname) || '(' || CASE WHEN p.prokind = 'a'
                       THEN (SELECT coalesce(pg_catalog.string_agg(pg_catalog.format_type(a.t, NULL), ', ' ORDER BY a.n), '')
                             FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n))
                       ELSE pg_catalog.pg_get_function_identity_arguments(p.oid) END || ')' AS q,
                   pg_catalog.pg_get_userbyid(p.proowner) AS owner, p.proacl::text AS acl,
                   \(Self.basePrivileges("pg_proc", "p.oid", default: "pg_catalog.acldefault('f', p.proowner)")) AS base
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE p.proacl IS NOT NULL AND \(Self.systemOrMember("pg_proc", "p.oid"))
            ORDER BY n.nspname, p.proname, 4
            """)
        {
            try addSystemACL(row, type: row["prokind"] == "p" ? "PROCEDURE" : "FUNCTION", name: try row.get("q"), namespace: row["nspname"])
        }
        // Tables, views and sequences, then their columns (a column's privileges start empty).
        for row in try rows("""
            SELECT n.nspname, pg_catalog.quote_ident(n.nspname) AS qschema, pg_catalog.quote_ident(c.relname) AS q, c.relkind,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl,
                   \(Self.basePrivileges("pg_class", "c.oid", default: "pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner)")) AS base
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND \(Self.systemOrMember("pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname
            """)
        {
            try addSystemACL(row, type: row["relkind"] == "S" ? "SEQUENCE" : "TABLE", name: try row.get("q"), namespace: row["nspname"])
        }
        for row in try rows("""
            SELECT n.nspname, pg_catalog.quote_ident(n.nspname) AS qschema, pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.quote_ident(a.attname) AS qcolumn,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, a.attacl::text AS acl,
                   \(Self.basePrivileges("pg_class", "c.oid", subid: "a.attnum", default: "'{}'")) AS base
            FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
              AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND \(Self.systemOrMember("pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, a.attnum
            """)
        {
            try addSystemACL(row, type: "TABLE", name: try row.get("q"), namespace: row["nspname"], column: try row.get("qcolumn"))
        }
        // Foreign-data wrappers and servers an extension made.
        for (catalog, type, nameColumn, ownerColumn, aclColumn, kind) in [
            ("pg_foreign_data_wrapper", "FOREIGN DATA WRAPPER", "fdwname", "fdwowner", "fdwacl", "F"),
            ("pg_foreign_server", "FOREIGN SERVER", "srvname", "srvowner", "srvacl", "S"),
        ] {
            for row in try rows("""
                SELECT pg_catalog.quote_ident(x.\(nameColumn)) AS q, pg_catalog.pg_get_userbyid(x.\(ownerColumn)) AS owner, x.\(aclColumn)::text AS acl,
                       \(Self.basePrivileges(catalog, "x.oid", default: "pg_catalog.acldefault('\(kind)', x.\(ownerColumn))")) AS base
                FROM pg_catalog.\(catalog) x
                WHERE x.\(aclColumn) IS NOT NULL AND \(Self.extensionMember(catalog, "x.oid"))
                ORDER BY x.\(nameColumn)
                """)
            {
                try addSystemACL(row, type: type, name: try row.get("q"), namespace: nil)
            }
        }
    }

    /// One lone ACL entry, when the privileges differ from where they started.
    private mutating func addSystemACL(_ row: Row, type: String, name: String, namespace: String?, column: String? = nil) throws {
        let owner: String = try row.get("owner")
        let target = row["qschema"].map { "\($0).\(name)" } ?? name
        let sql = try pgDumpACLCommands(acl: row["acl"] ?? "{}", base: row["base"] ?? "{}", type: type, name: target, owner: owner, column: column)
        guard !sql.isEmpty else { return }
        let tag = column.map { "COLUMN \(name).\($0)" } ?? "\(type) \(name)"
        trailingObjects.append(DumpObject(
            key: ObjectKey(catalog: 0, oid: UInt32(trailingObjects.count + 1)), kind: .defaultACL, sortName: tag,
            entries: [Self.entry(tag, "ACL", .none, defn: sql, namespace: namespace, owner: owner)]))
    }

    /// The privileges an object started with: those recorded in pg_init_privs (by initdb, or
    /// by its extension's script), else the built-in default.
    private static func basePrivileges(_ catalog: String, _ oid: String, subid: String = "0", default fallback: String) -> String {
        """
        coalesce((SELECT i.initprivs::text FROM pg_catalog.pg_init_privs i
                  WHERE i.classoid = 'pg_catalog.\(catalog)'::pg_catalog.regclass AND i.objoid = \(oid) AND i.objsubid = \(subid)),
                 (\(fallback))::text)
        """
    }

    private static func extensionMember(_ catalog: String, _ oid: String) -> String {
        """
        EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.\(catalog)'::pg_catalog.regclass
                AND e.objid = \(oid) AND e.deptype = 'e')
        """
    }

    /// In pg_catalog, or an extension's member in a schema the dump covers (`n` is the namespace).
    private static func systemOrMember(_ catalog: String, _ oid: String) -> String {
        "(n.nspname = 'pg_catalog' OR (\(extensionMember(catalog, oid)) AND \(userNamespaceFilter)))"
    }
}

import PGWire

/// Finds objects the dump cannot reproduce yet, so a backup refuses them by name instead
/// of silently leaving them out. Each check returns human-readable object names.
struct UnsupportedObjectScanner {
    let connection: Connection

    private static let checks: [String] = [
        """
        SELECT CASE c.relkind WHEN 'f' THEN 'foreign table ' ELSE 'relation ' END
               || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'f' AND \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
        """,
        // Table features beyond what the dump writes.
        """
        SELECT 'table ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) || ' ('
               || pg_catalog.concat_ws(', ',
                    CASE WHEN c.reloftype <> 0 THEN 'typed table (OF type)' END,
                    CASE WHEN c.relreplident = 'i' THEN 'replica identity using an index' END,
                    CASE WHEN c.reltablespace <> 0 THEN 'tablespace' END,
                    CASE WHEN c.relkind IN ('r', 'm') AND am.amname IS DISTINCT FROM 'heap' THEN 'table access method ' || am.amname END) || ')'
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
        WHERE c.relkind IN ('r', 'p', 'm') AND \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
          AND (c.reloftype <> 0 OR c.relreplident = 'i' OR c.reltablespace <> 0
               OR (c.relkind IN ('r', 'm') AND am.amname IS DISTINCT FROM 'heap'))
        """,
        """
        SELECT 'base type ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname)
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_type", "t.oid"))
          AND t.typtype = 'b' AND t.typcategory <> 'A'
        """,
        """
        SELECT 'language ' || pg_catalog.quote_ident(l.lanname) FROM pg_catalog.pg_language l
        WHERE l.lanispl AND l.lanname <> 'plpgsql' AND \(notExtensionMember("pg_catalog.pg_language", "l.oid"))
        """,
        """
        SELECT 'text search parser ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.prsname)
        FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_parser", "p.oid"))
        UNION ALL
        SELECT 'text search template ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.tmplname)
        FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_template", "t.oid"))
        """,
        """
        SELECT 'operator ' || pg_catalog.quote_ident(n.nspname) || '.' || o.oprname
        FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_operator", "o.oid"))
        """,
        """
        SELECT 'operator class ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.opcname)
        FROM pg_catalog.pg_opclass o JOIN pg_catalog.pg_namespace n ON n.oid = o.opcnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_opclass", "o.oid"))
        """,
        """
        SELECT 'conversion ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.conname)
        FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_conversion", "c.oid"))
        """,
        "SELECT 'event trigger ' || pg_catalog.quote_ident(evtname) FROM pg_catalog.pg_event_trigger WHERE \(notExtensionMember("pg_catalog.pg_event_trigger", "oid"))",
        "SELECT 'publication ' || pg_catalog.quote_ident(pubname) FROM pg_catalog.pg_publication",
        "SELECT 'foreign data wrapper ' || pg_catalog.quote_ident(fdwname) FROM pg_catalog.pg_foreign_data_wrapper WHERE \(notExtensionMember("pg_catalog.pg_foreign_data_wrapper", "oid"))",
        "SELECT 'foreign server ' || pg_catalog.quote_ident(srvname) FROM pg_catalog.pg_foreign_server",
        "SELECT 'large objects (' || count(*) || ')' FROM pg_catalog.pg_largeobject_metadata HAVING count(*) > 0",
        "SELECT 'default privileges (ALTER DEFAULT PRIVILEGES)' FROM pg_catalog.pg_default_acl HAVING count(*) > 0",
        "SELECT 'access method ' || pg_catalog.quote_ident(amname) FROM pg_catalog.pg_am WHERE oid >= 16384 AND \(notExtensionMember("pg_catalog.pg_am", "oid"))",
        "SELECT 'transform ' || oid FROM pg_catalog.pg_transform WHERE \(notExtensionMember("pg_catalog.pg_transform", "oid"))",
        """
        SELECT 'cast (' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')'
        FROM pg_catalog.pg_cast c WHERE c.oid >= 16384 AND \(notExtensionMember("pg_catalog.pg_cast", "c.oid"))
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass
                          AND d.objid = c.oid AND d.deptype = 'i')
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

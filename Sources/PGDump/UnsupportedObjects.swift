import PGWire

/// Finds objects the dump cannot reproduce yet, so a backup refuses them by name instead
/// of silently leaving them out. Each check returns human-readable object names.
struct UnsupportedObjectScanner {
    let connection: Connection

    private static let relationKinds = """
        SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                              WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table'
                              WHEN 'c' THEN 'composite type' ELSE 'relation' END
               || ' ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm', 'p', 'f', 'c') AND \(userNamespaceFilter)
          AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
        """

    private static let checks: [String] = [
        relationKinds,
        // Table features beyond plain heap tables.
        """
        SELECT 'table ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) || ' ('
               || pg_catalog.concat_ws(', ',
                    CASE WHEN c.relispartition THEN 'is a partition' END,
                    CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid OR h.inhparent = c.oid) THEN 'table inheritance' END,
                    CASE WHEN c.reloftype <> 0 THEN 'typed table' END,
                    CASE WHEN c.relrowsecurity OR c.relforcerowsecurity THEN 'row-level security' END,
                    CASE WHEN c.relreplident NOT IN ('d', 'n') THEN 'replica identity' END,
                    CASE WHEN c.relacl IS NOT NULL THEN 'GRANTs' END,
                    CASE WHEN c.reltablespace <> 0 THEN 'tablespace' END,
                    CASE WHEN am.amname IS DISTINCT FROM 'heap' THEN 'table access method ' || am.amname END) || ')'
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
        WHERE c.relkind = 'r' AND \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
          AND (c.relispartition OR c.reloftype <> 0 OR c.relrowsecurity OR c.relforcerowsecurity
               OR c.relreplident NOT IN ('d', 'n') OR c.relacl IS NOT NULL OR c.reltablespace <> 0
               OR am.amname IS DISTINCT FROM 'heap'
               OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid OR h.inhparent = c.oid))
        """,
        """
        SELECT 'sequence ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) || ' (GRANTs)'
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'S' AND c.relacl IS NOT NULL AND \(userNamespaceFilter)
        """,
        // Column features.
        """
        SELECT 'column ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) || '.'
               || pg_catalog.quote_ident(a.attname) || ' ('
               || pg_catalog.concat_ws(', ',
                    CASE WHEN a.attidentity <> '' THEN 'identity column' END,
                    CASE WHEN a.attgenerated <> '' THEN 'generated column' END,
                    CASE WHEN a.attacl IS NOT NULL THEN 'column GRANTs' END,
                    CASE WHEN a.attoptions IS NOT NULL THEN 'column options' END,
                    CASE WHEN a.attstorage <> t.typstorage THEN 'storage setting' END,
                    CASE WHEN COALESCE(a.attstattarget, -1) >= 0 THEN 'statistics target' END) || ')'
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND \(userNamespaceFilter)
          AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
          AND (a.attidentity <> '' OR a.attgenerated <> '' OR a.attacl IS NOT NULL OR a.attoptions IS NOT NULL
               OR a.attstorage <> t.typstorage OR COALESCE(a.attstattarget, -1) >= 0)
        """,
        """
        SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' WHEN 'w' THEN 'window function ' ELSE 'function ' END
               || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname)
               || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_proc", "p.oid"))
        """,
        """
        SELECT CASE t.typtype WHEN 'e' THEN 'enum type ' WHEN 'd' THEN 'domain ' WHEN 'r' THEN 'range type '
                              WHEN 'm' THEN 'multirange type ' WHEN 'b' THEN 'base type ' ELSE 'type ' END
               || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname)
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_type", "t.oid"))
          AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'b' AND t.typcategory <> 'A'))
        """,
        """
        SELECT 'trigger ' || pg_catalog.quote_ident(t.tgname) || ' on ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
        FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND \(userNamespaceFilter)
        """,
        """
        SELECT 'rule ' || pg_catalog.quote_ident(r.rulename) || ' on ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
        FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE r.rulename <> '_RETURN' AND \(userNamespaceFilter)
        """,
        """
        SELECT 'policy ' || pg_catalog.quote_ident(p.polname) || ' on ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
        FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        """,
        "SELECT 'extension ' || pg_catalog.quote_ident(extname) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'",
        """
        SELECT 'collation ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.collname)
        FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_collation", "c.oid"))
        """,
        """
        SELECT 'text search configuration ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.cfgname)
        FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_config", "c.oid"))
        """,
        """
        SELECT 'text search dictionary ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(d.dictname)
        FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_dict", "d.oid"))
        """,
        """
        SELECT 'operator ' || pg_catalog.quote_ident(n.nspname) || '.' || o.oprname
        FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_operator", "o.oid"))
        """,
        """
        SELECT 'conversion ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.conname)
        FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
        WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_conversion", "c.oid"))
        """,
        """
        SELECT 'extended statistics ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(s.stxname)
        FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
        WHERE \(userNamespaceFilter)
        """,
        "SELECT 'event trigger ' || pg_catalog.quote_ident(evtname) FROM pg_catalog.pg_event_trigger",
        "SELECT 'publication ' || pg_catalog.quote_ident(pubname) FROM pg_catalog.pg_publication",
        "SELECT 'foreign data wrapper ' || pg_catalog.quote_ident(fdwname) FROM pg_catalog.pg_foreign_data_wrapper WHERE \(notExtensionMember("pg_catalog.pg_foreign_data_wrapper", "oid"))",
        "SELECT 'foreign server ' || pg_catalog.quote_ident(srvname) FROM pg_catalog.pg_foreign_server",
        "SELECT 'large objects (' || count(*) || ')' FROM pg_catalog.pg_largeobject_metadata HAVING count(*) > 0",
        "SELECT 'default privileges (ALTER DEFAULT PRIVILEGES)' FROM pg_catalog.pg_default_acl HAVING count(*) > 0",
        """
        SELECT 'cast (' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')'
        FROM pg_catalog.pg_cast c WHERE c.oid >= 16384 AND \(notExtensionMember("pg_catalog.pg_cast", "c.oid"))
        """,
        """
        SELECT 'schema ' || pg_catalog.quote_ident(n.nspname) || ' (GRANTs)'
        FROM pg_catalog.pg_namespace n
        WHERE \(userNamespaceFilter) AND n.nspname <> 'public' AND n.nspacl IS NOT NULL
          AND \(notExtensionMember("pg_catalog.pg_namespace", "n.oid"))
        """,
        """
        SELECT 'index ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ic.relname) || ' ('
               || pg_catalog.concat_ws(', ', CASE WHEN i.indisreplident THEN 'replica identity' END,
                                             CASE WHEN ic.reltablespace <> 0 THEN 'tablespace' END) || ')'
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
        WHERE (i.indisreplident OR ic.reltablespace <> 0) AND \(userNamespaceFilter)
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

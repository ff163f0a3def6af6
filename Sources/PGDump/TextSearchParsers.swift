import PGWire

extension SchemaReader {
    /// Text-search parsers and templates, as pg_dump's dumpTSParser and dumpTSTemplate write
    /// them: without an owner (they have none), each function as regproc prints it.
    mutating func readTextSearchParsersAndTemplates() throws {
        for row in try rows("""
            SELECT p.oid, p.prsname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.prsname) AS q,
                   p.prsstart::pg_catalog.regproc::text AS start, p.prstoken::pg_catalog.regproc::text AS gettoken,
                   p.prsend::pg_catalog.regproc::text AS "end", NULLIF(p.prsheadline::pg_catalog.regproc::text, '-') AS headline,
                   p.prslextype::pg_catalog.regproc::text AS lextypes, pg_catalog.obj_description(p.oid, 'pg_ts_parser') AS comment
            FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_parser", "p.oid"))
            ORDER BY n.nspname, p.prsname
            """)
        {
            let name: String = try row.get("prsname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            var parts = ["    START = \(try row.get("start", as: String.self))", "    GETTOKEN = \(try row.get("gettoken", as: String.self))", "    END = \(try row.get("end", as: String.self))"]
            if let headline = row["headline"] { parts.append("    HEADLINE = \(headline)") }
            parts.append("    LEXTYPES = \(try row.get("lextypes", as: String.self))")
            let defn = "CREATE TEXT SEARCH PARSER \(q) (\n\(parts.joined(separator: ",\n")) );\n"
            var entries = [Self.entry(name, "TEXT SEARCH PARSER", .preData, defn: defn, drop: "DROP TEXT SEARCH PARSER \(q);\n", namespace: schema, tableOID: String(CatalogID.pgTSParser), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "TEXT SEARCH PARSER \(q)", tag: "TEXT SEARCH PARSER \(name)", namespace: schema, owner: "") { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgTSParser, row["oid"]), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
        for row in try rows("""
            SELECT t.oid, t.tmplname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.tmplname) AS q,
                   NULLIF(t.tmplinit::pg_catalog.regproc::text, '-') AS init, t.tmpllexize::pg_catalog.regproc::text AS lexize,
                   pg_catalog.obj_description(t.oid, 'pg_ts_template') AS comment
            FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_template", "t.oid"))
            ORDER BY n.nspname, t.tmplname
            """)
        {
            let name: String = try row.get("tmplname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            var parts: [String] = []
            if let initFunction = row["init"] { parts.append("    INIT = \(initFunction)") }
            parts.append("    LEXIZE = \(try row.get("lexize", as: String.self))")
            let defn = "CREATE TEXT SEARCH TEMPLATE \(q) (\n\(parts.joined(separator: ",\n")) );\n"
            var entries = [Self.entry(name, "TEXT SEARCH TEMPLATE", .preData, defn: defn, drop: "DROP TEXT SEARCH TEMPLATE \(q);\n", namespace: schema, tableOID: String(CatalogID.pgTSTemplate), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "TEXT SEARCH TEMPLATE \(q)", tag: "TEXT SEARCH TEMPLATE \(name)", namespace: schema, owner: "") { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgTSTemplate, row["oid"]), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
    }
}

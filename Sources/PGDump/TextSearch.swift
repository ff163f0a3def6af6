import PGWire

extension SchemaReader {
    /// Text-search dictionaries and configurations (parsers and templates are refused).
    mutating func readTextSearch() throws {
        for row in try rows("""
            SELECT d.oid, d.dictname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(d.dictname) AS q,
                   pg_catalog.pg_get_userbyid(d.dictowner) AS owner, pg_catalog.obj_description(d.oid, 'pg_ts_dict') AS comment,
                   pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.tmplname) AS template, d.dictinitoption
            FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
            JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_dict", "d.oid"))
            ORDER BY n.nspname, d.dictname
            """)
        {
            let name: String = try row.get("dictname"), schema: String = try row.get("nspname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            var defn = "CREATE TEXT SEARCH DICTIONARY \(q) (\n    TEMPLATE = \(try row.get("template", as: String.self))"
            if let options = row["dictinitoption"], !options.isEmpty { defn += ",\n    \(options)" }
            defn += " );\n"
            let oid = row["oid"] ?? "0"
            var entries = [Self.entry(name, "TEXT SEARCH DICTIONARY", .preData, defn: defn, drop: "DROP TEXT SEARCH DICTIONARY \(q);\n", namespace: schema, owner: owner, tableOID: "3600", oid: oid)]
            if let c = comment(row["comment"], target: "TEXT SEARCH DICTIONARY \(q)", tag: "TEXT SEARCH DICTIONARY \(name)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: ObjectKey(catalog: 3600, oid: UInt32(oid) ?? 0), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
        for row in try rows("""
            SELECT c.oid, c.cfgname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.cfgname) AS q,
                   pg_catalog.pg_get_userbyid(c.cfgowner) AS owner, pg_catalog.obj_description(c.oid, 'pg_ts_config') AS comment,
                   pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.prsname) AS parser, c.cfgparser
            FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
            JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_config", "c.oid"))
            ORDER BY n.nspname, c.cfgname
            """)
        {
            let name: String = try row.get("cfgname"), schema: String = try row.get("nspname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            let oid = row["oid"] ?? "0"
            var defn = "CREATE TEXT SEARCH CONFIGURATION \(q) (\n    PARSER = \(try row.get("parser", as: String.self)) );\n"
            for mapping in try rows("""
                SELECT t.alias, pg_catalog.string_agg(pg_catalog.quote_ident(dn.nspname) || '.' || pg_catalog.quote_ident(d.dictname), ', ' ORDER BY m.mapseqno) AS dicts
                FROM pg_catalog.pg_ts_config_map m
                JOIN pg_catalog.ts_token_type($2::pg_catalog.oid) t ON t.tokid = m.maptokentype
                JOIN pg_catalog.pg_ts_dict d ON d.oid = m.mapdict JOIN pg_catalog.pg_namespace dn ON dn.oid = d.dictnamespace
                WHERE m.mapcfg = $1::pg_catalog.oid
                GROUP BY t.alias, m.maptokentype ORDER BY m.maptokentype
                """, [oid, row["cfgparser"]]) {
                defn += "\nALTER TEXT SEARCH CONFIGURATION \(q)\n    ADD MAPPING FOR \(try mapping.get("alias", as: String.self)) WITH \(try mapping.get("dicts", as: String.self));\n"
            }
            var entries = [Self.entry(name, "TEXT SEARCH CONFIGURATION", .preData, defn: defn, drop: "DROP TEXT SEARCH CONFIGURATION \(q);\n", namespace: schema, owner: owner, tableOID: "3602", oid: oid)]
            if let c = comment(row["comment"], target: "TEXT SEARCH CONFIGURATION \(q)", tag: "TEXT SEARCH CONFIGURATION \(name)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: ObjectKey(catalog: 3602, oid: UInt32(oid) ?? 0), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
    }
}

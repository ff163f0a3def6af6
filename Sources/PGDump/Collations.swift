import PGWire

extension SchemaReader {
    mutating func readCollations() throws {
        for row in try rows("""
            SELECT c.oid, c.collname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.collname) AS q,
                   pg_catalog.pg_get_userbyid(c.collowner) AS owner, pg_catalog.obj_description(c.oid, 'pg_collation') AS comment,
                   c.collprovider, c.collisdeterministic,
                   pg_catalog.to_jsonb(c) ->> 'collcollate' AS collate, pg_catalog.to_jsonb(c) ->> 'collctype' AS ctype,
                   COALESCE(pg_catalog.to_jsonb(c) ->> 'colllocale', pg_catalog.to_jsonb(c) ->> 'colliculocale') AS locale,
                   COALESCE(pg_catalog.to_jsonb(c) ->> 'collicurules', '') AS rules
            FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_collation", "c.oid"))
            ORDER BY n.nspname, c.collname
            """)
        {
            let name: String = try row.get("collname"), schema: String = try row.get("nspname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            var parts: [String] = []
            switch row["collprovider"] {
            case "i":
                parts.append("provider = icu")
                parts.append("locale = \(quoteLiteral(row["locale"] ?? ""))")
                if let rules = row["rules"], !rules.isEmpty { parts.append("rules = \(quoteLiteral(rules))") }
            case "b":
                parts.append("provider = builtin")
                parts.append("locale = \(quoteLiteral(row["locale"] ?? ""))")
            default:
                parts.append("provider = libc")
                let collate = row["collate"] ?? "", ctype = row["ctype"] ?? ""
                if collate == ctype {
                    parts.append("locale = \(quoteLiteral(collate))")
                } else {
                    parts.append("lc_collate = \(quoteLiteral(collate))")
                    parts.append("lc_ctype = \(quoteLiteral(ctype))")
                }
            }
            if row["collisdeterministic"] == "f" { parts.append("deterministic = false") }
            let oid = row["oid"] ?? "0"
            var entries = [Self.entry(name, "COLLATION", .preData, defn: "CREATE COLLATION \(q) (\(parts.joined(separator: ", ")));\n", drop: "DROP COLLATION \(q);\n", namespace: schema, owner: owner, tableOID: "3456", oid: oid)]
            if let c = comment(row["comment"], target: "COLLATION \(q)", tag: "COLLATION \(name)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgCollation, oid), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
    }
}

import PGWire

// Triggers, rules and row-level security policies of relations.

extension SchemaReader {
    mutating func readTriggers() throws {
        for row in try rows("""
            SELECT t.oid, t.tgname, pg_catalog.quote_ident(t.tgname) AS qname, t.tgrelid, c.relname, n.nspname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.pg_get_triggerdef(t.oid, false) AS def, t.tgenabled, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
                   pg_catalog.obj_description(t.oid, 'pg_trigger') AS comment
            FROM pg_catalog.pg_trigger t
            JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, t.tgname
            """)
        {
            let q: String = try row.get("q"), qname: String = try row.get("qname"), table: String = try row.get("relname")
            let name: String = try row.get("tgname"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            var defn = (try row.get("def", as: String.self)) + ";\n"
            switch row["tgenabled"] {
            case "D": defn += "\nALTER TABLE \(q) DISABLE TRIGGER \(qname);\n"
            case "R": defn += "\nALTER TABLE \(q) ENABLE REPLICA TRIGGER \(qname);\n"
            case "A": defn += "\nALTER TABLE \(q) ENABLE ALWAYS TRIGGER \(qname);\n"
            default: break
            }
            var entries = [Self.entry("\(table) \(name)", "TRIGGER", .postData, defn: defn, drop: "DROP TRIGGER \(qname) ON \(q);\n", namespace: schema, owner: owner, tableOID: "2620", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "TRIGGER \(qname) ON \(q)", tag: "TRIGGER \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgTrigger, row["oid"]), kind: .trigger, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, row["tgrelid"])]
            add(object)
        }
    }

    mutating func readRules() throws {
        for row in try rows("""
            SELECT r.oid, r.rulename, r.ev_class, c.relname, n.nspname, c.relkind,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.quote_ident(r.rulename) AS qname, pg_catalog.pg_get_ruledef(r.oid) AS def, r.ev_enabled,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, pg_catalog.obj_description(r.oid, 'pg_rewrite') AS comment
            FROM pg_catalog.pg_rewrite r
            JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, r.rulename
            """)
        {
            let relationKey = Self.key(CatalogID.pgClass, row["ev_class"])
            if row["rulename"] == "_RETURN" {
                alias[Self.key(CatalogID.pgRewrite, row["oid"])] = relationKey
                continue
            }
            let q: String = try row.get("q"), qname: String = try row.get("qname"), table: String = try row.get("relname")
            let name: String = try row.get("rulename"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            var defn = try row.get("def", as: String.self)
            if !defn.hasSuffix("\n") { defn += "\n" }
            if row["ev_enabled"] == "D" { defn += "\nALTER TABLE \(q) DISABLE RULE \(qname);\n" }
            var entries = [Self.entry("\(table) \(name)", "RULE", .postData, defn: defn, drop: "DROP RULE \(qname) ON \(q);\n", namespace: schema, owner: owner, tableOID: "2618", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "RULE \(qname) ON \(q)", tag: "RULE \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgRewrite, row["oid"]), kind: .rule, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [relationKey]
            add(object)
        }
    }

    mutating func readPolicies() throws {
        for row in try rows("""
            SELECT p.oid, p.polname, pg_catalog.quote_ident(p.polname) AS qname, p.polrelid, c.relname, n.nspname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   p.polpermissive, p.polcmd,
                   CASE WHEN p.polroles = '{0}' THEN 'PUBLIC' ELSE
                       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)), ', ' ORDER BY pg_catalog.pg_get_userbyid(r)) FROM pg_catalog.unnest(p.polroles) r) END AS roles,
                   pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual, pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS withcheck,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, pg_catalog.obj_description(p.oid, 'pg_policy') AS comment
            FROM pg_catalog.pg_policy p
            JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(userNamespaceFilter)
            ORDER BY n.nspname, c.relname, p.polname
            """)
        {
            let q: String = try row.get("q"), qname: String = try row.get("qname"), table: String = try row.get("relname")
            let name: String = try row.get("polname"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            let command: String
            switch row["polcmd"] {
            case "r": command = "SELECT"
            case "a": command = "INSERT"
            case "w": command = "UPDATE"
            case "d": command = "DELETE"
            default: command = "ALL"
            }
            var defn = "CREATE POLICY \(qname) ON \(q)"
            if row["polpermissive"] != "t" { defn += " AS RESTRICTIVE" }
            defn += " FOR \(command) TO \(row["roles"] ?? "PUBLIC")"
            if let qual = row["qual"] { defn += "\n  USING (\(qual))" }
            if let check = row["withcheck"] { defn += "\n  WITH CHECK (\(check))" }
            defn += ";\n"
            var entries = [Self.entry("\(table) \(name)", "POLICY", .postData, defn: defn, drop: "DROP POLICY \(qname) ON \(q);\n", namespace: schema, owner: owner, tableOID: "3256", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "POLICY \(qname) ON \(q)", tag: "POLICY \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgPolicy, row["oid"]), kind: .policy, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, row["polrelid"])]
            add(object)
        }
    }
}

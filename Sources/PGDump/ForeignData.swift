import PGWire

/// `OPTIONS (...)` text of an options array column, as pg_dump writes it: one option a line,
/// ordered by name, or NULL when there are none. `column` is SQL naming a text[] of key=value.
func foreignOptionsSQL(_ column: String) -> String {
    """
    (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.option_name) || ' ' || pg_catalog.quote_literal(o.option_value), E',\\n    ' ORDER BY o.option_name)
     FROM pg_catalog.pg_options_to_table(\(column)) o)
    """
}

/// " OPTIONS (\n    a 'x',\n    b 'y'\n)" for a non-empty option list, else "".
func foreignOptionsClause(_ options: String?) -> String {
    guard let options, !options.isEmpty else { return "" }
    return " OPTIONS (\n    \(options)\n)"
}

extension SchemaReader {
    /// Foreign data wrappers, servers and user mappings, as pg_dump's dumpForeignDataWrapper,
    /// dumpForeignServer and dumpUserMappings write them (all pre-data). Wrappers an extension
    /// made (postgres_fdw's) come with its CREATE EXTENSION. Foreign tables are relations
    /// (readRelations), using `foreignTableClause`.
    mutating func readForeignData() throws {
        for row in try rows("""
            SELECT w.oid, w.fdwname, pg_catalog.quote_ident(w.fdwname) AS q, pg_catalog.pg_get_userbyid(w.fdwowner) AS owner,
                   CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::pg_catalog.regproc::text END AS handler,
                   CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::pg_catalog.regproc::text END AS validator,
                   \(foreignOptionsSQL("w.fdwoptions")) AS options, w.fdwacl::text AS acl,
                   pg_catalog.obj_description(w.oid, 'pg_foreign_data_wrapper') AS comment
            FROM pg_catalog.pg_foreign_data_wrapper w
            WHERE \(notExtensionMember("pg_catalog.pg_foreign_data_wrapper", "w.oid"))
            ORDER BY w.fdwname
            """)
        {
            let name: String = try row.get("fdwname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            var defn = "CREATE FOREIGN DATA WRAPPER \(q)"
            if let handler = row["handler"] { defn += " HANDLER \(handler)" }
            if let validator = row["validator"] { defn += " VALIDATOR \(validator)" }
            defn += foreignOptionsClause(row["options"]) + ";\n"
            var entries = [Self.entry(name, "FOREIGN DATA WRAPPER", .preData, defn: defn, drop: "DROP FOREIGN DATA WRAPPER \(q);\n", owner: owner, tableOID: String(CatalogID.pgForeignDataWrapper), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "FOREIGN DATA WRAPPER \(q)", tag: "FOREIGN DATA WRAPPER \(name)", namespace: nil, owner: owner) { entries.append(c) }
            if let acl = try aclEntry(row["acl"], kind: "FOREIGN DATA WRAPPER", target: q, tag: "FOREIGN DATA WRAPPER \(name)", namespace: nil, owner: owner) { entries.append(acl) }
            add(DumpObject(key: Self.key(CatalogID.pgForeignDataWrapper, row["oid"]), kind: .foreignDataWrapper, sortName: name, entries: entries))
        }
        for row in try rows("""
            SELECT s.oid, s.srvname, pg_catalog.quote_ident(s.srvname) AS q, pg_catalog.pg_get_userbyid(s.srvowner) AS owner,
                   pg_catalog.quote_ident(w.fdwname) AS fdw, s.srvfdw, s.srvtype, s.srvversion,
                   \(foreignOptionsSQL("s.srvoptions")) AS options, s.srvacl::text AS acl,
                   pg_catalog.obj_description(s.oid, 'pg_foreign_server') AS comment
            FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
            WHERE \(notExtensionMember("pg_catalog.pg_foreign_server", "s.oid"))
            ORDER BY s.srvname
            """)
        {
            let name: String = try row.get("srvname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            let serverKey = Self.key(CatalogID.pgForeignServer, row["oid"])
            var defn = "CREATE SERVER \(q)"
            if let type = row["srvtype"] { defn += " TYPE \(quoteLiteral(type))" }
            if let version = row["srvversion"] { defn += " VERSION \(quoteLiteral(version))" }
            defn += " FOREIGN DATA WRAPPER \(try row.get("fdw", as: String.self))" + foreignOptionsClause(row["options"]) + ";\n"
            var entries = [Self.entry(name, "SERVER", .preData, defn: defn, drop: "DROP SERVER \(q);\n", owner: owner, tableOID: String(CatalogID.pgForeignServer), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "SERVER \(q)", tag: "SERVER \(name)", namespace: nil, owner: owner) { entries.append(c) }
            if let acl = try aclEntry(row["acl"], kind: "FOREIGN SERVER", target: q, tag: "FOREIGN SERVER \(name)", namespace: nil, owner: owner) { entries.append(acl) }
            var server = DumpObject(key: serverKey, kind: .foreignServer, sortName: name, entries: entries)
            server.dependencies = [Self.key(CatalogID.pgForeignDataWrapper, row["srvfdw"])]
            add(server)

            // Its user mappings: entries of their own that pg_dump gives no catalog id.
            for mapping in try rows("""
                SELECT u.umid, u.usename, pg_catalog.quote_ident(u.usename) AS quser, \(foreignOptionsSQL("u.umoptions")) AS options
                FROM pg_catalog.pg_user_mappings u WHERE u.srvid = $1::pg_catalog.oid
                ORDER BY u.usename
                """, [row["oid"]]) {
                let user: String = try mapping.get("usename"), quser: String = try mapping.get("quser")
                var object = DumpObject(
                    key: Self.key(CatalogID.pgUserMapping, mapping["umid"]), kind: .foreignServer, sortName: "\(name).\(user)",
                    entries: [Self.entry("USER MAPPING \(user) SERVER \(name)", "USER MAPPING", .preData,
                                         defn: "CREATE USER MAPPING FOR \(quser) SERVER \(q)\(foreignOptionsClause(mapping["options"]));\n",
                                         drop: "DROP USER MAPPING FOR \(quser) SERVER \(q);\n", owner: owner)])
                object.dependencies = [serverKey]
                add(object)
            }
        }
    }

    /// "\nSERVER name\nOPTIONS (...)" closing a foreign table's CREATE FOREIGN TABLE.
    static func foreignTableClause(server: String, options: String?) -> String {
        var clause = "\nSERVER \(server)"
        if let options, !options.isEmpty { clause += "\nOPTIONS (\n    \(options)\n)" }
        return clause
    }
}

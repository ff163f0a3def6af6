import PGWire

extension SchemaReader {
    /// Comment, settings (ALTER DATABASE ... SET, ALTER ROLE ... IN DATABASE ... SET) and
    /// grants of the database itself. Stock pg_restore applies DATABASE PROPERTIES only with
    /// -C; our restore engine applies them to whatever database it restores into.
    mutating func readDatabaseProperties() throws {
        let database = try rows("""
            SELECT d.oid, d.datname, pg_catalog.quote_ident(d.datname) AS q, pg_catalog.pg_get_userbyid(d.datdba) AS owner,
                   pg_catalog.shobj_description(d.oid, 'pg_database') AS comment, d.datacl::text AS acl
            FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
            """)[0]
        let q: String = try database.get("q"), name: String = try database.get("datname"), owner: String = try database.get("owner")
        var sql = ""
        if let comment = database["comment"], !options.noComments { sql += "COMMENT ON DATABASE \(q) IS \(quoteLiteral(comment));\n" }
        let listSettings: Set<String> = ["search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries", "shared_preload_libraries"]
        for row in try rows("""
            SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(s.setrole)) END AS role,
                   pg_catalog.unnest(s.setconfig) AS setting
            FROM pg_catalog.pg_db_role_setting s WHERE s.setdatabase = $1::pg_catalog.oid
            ORDER BY s.setrole
            """, [database["oid"]]) {
            let setting: String = try row.get("setting")
            guard let equals = setting.firstIndex(of: "=") else { continue }
            let key = String(setting[..<equals]), value = String(setting[setting.index(after: equals)...])
            let rendered = listSettings.contains(key.lowercased()) ? value : quoteLiteral(value)
            if let role = row["role"] {
                sql += "ALTER ROLE \(role) IN DATABASE \(q) SET \(key) TO \(rendered);\n"
            } else {
                sql += "ALTER DATABASE \(q) SET \(key) TO \(rendered);\n"
            }
        }
        if let acl = try aclEntry(database["acl"], kind: "DATABASE", target: q, tag: "DATABASE \(name)", namespace: nil, owner: owner)?.defn {
            sql += acl
        }
        guard !sql.isEmpty else { return }
        add(DumpObject(
            key: ObjectKey(catalog: 0, oid: 10), kind: .encoding, sortName: "z",
            entries: [Self.entry(name, "DATABASE PROPERTIES", .preData, defn: sql, owner: owner, tableOID: "1262", oid: database["oid"] ?? "0")]))
    }
}

import PGWire

extension SchemaReader {
    mutating func readStatistics() throws {
        for row in try rows("""
            SELECT s.oid, s.stxname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(s.stxname) AS q,
                   pg_catalog.pg_get_statisticsobjdef(s.oid) AS def, pg_catalog.pg_get_userbyid(s.stxowner) AS owner, s.stxrelid,
                   CASE WHEN COALESCE(s.stxstattarget, -1) >= 0 THEN s.stxstattarget END AS target,
                   pg_catalog.obj_description(s.oid, 'pg_statistic_ext') AS comment
            FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
            WHERE \(userNamespaceFilter)
            ORDER BY n.nspname, s.stxname
            """)
        {
            let q: String = try row.get("q"), name: String = try row.get("stxname"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            var defn = (try row.get("def", as: String.self)) + ";\n"
            if let target = row["target"] { defn += "ALTER STATISTICS \(q) SET STATISTICS \(target);\n" }
            var entries = [Self.entry(name, "STATISTICS", .postData, defn: defn, drop: "DROP STATISTICS \(q);\n", namespace: schema, owner: owner, tableOID: "3381", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "STATISTICS \(q)", tag: "STATISTICS \(name)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgStatisticExt, row["oid"]), kind: .statistics, sortName: "\(schema).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, row["stxrelid"])]
            add(object)
        }
    }
}

import PGWire

extension SchemaReader {
    /// A trigger on a partitioned table is cloned onto every partition by its CREATE TRIGGER.
    /// A clone switched differently from its parent (DISABLE, ENABLE REPLICA, ENABLE ALWAYS on
    /// the partition) gets an entry of its own that only switches it, after every trigger it
    /// was cloned from, as pg_dump writes it. (ALTER TABLE without ONLY reaches the partition's
    /// own partitions too, as on the source when it was run there.)
    mutating func readPartitionTriggerStates() throws {
        for row in try rows("""
            WITH RECURSIVE up(clone, parent) AS (
                SELECT t.oid, t.tgparentid FROM pg_catalog.pg_trigger t WHERE t.tgparentid <> 0
              UNION ALL
                SELECT up.clone, p.tgparentid FROM up JOIN pg_catalog.pg_trigger p ON p.oid = up.parent WHERE p.tgparentid <> 0
            )
            SELECT t.oid, t.tgname, pg_catalog.quote_ident(t.tgname) AS qname, t.tgrelid, c.relname, n.nspname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   t.tgenabled, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
                   (SELECT pg_catalog.array_to_string(pg_catalog.array_agg(up.parent), ',') FROM up WHERE up.clone = t.oid) AS ancestors
            FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_trigger u ON u.oid = t.tgparentid
            JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND t.tgenabled <> u.tgenabled AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, t.tgname
            """)
        {
            let q: String = try row.get("q"), qname: String = try row.get("qname"), table: String = try row.get("relname")
            let name: String = try row.get("tgname"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            let action: String
            switch row["tgenabled"] {
            case "D": action = "DISABLE"
            case "R": action = "ENABLE REPLICA"
            case "A": action = "ENABLE ALWAYS"
            default: action = "ENABLE"
            }
            var object = DumpObject(
                key: Self.key(CatalogID.pgTrigger, row["oid"]), kind: .trigger, sortName: "\(schema).\(table).\(name)",
                entries: [Self.entry("\(table) \(name)", "TRIGGER", .postData, defn: "ALTER TABLE \(q) \(action) TRIGGER \(qname);\n", namespace: schema, owner: owner, tableOID: "2620", oid: row["oid"] ?? "0")])
            object.dependencies = [Self.key(CatalogID.pgClass, row["tgrelid"])]
            for ancestor in (row["ancestors"] ?? "").split(separator: ",") {
                object.dependencies.insert(Self.key(CatalogID.pgTrigger, String(ancestor)))
            }
            add(object)
        }
    }
}

import PGWire

extension SchemaReader {
    mutating func readIndexes() throws {
        for row in try rows("""
            SELECT i.indexrelid, i.indrelid, ic.relname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ic.relname) AS q,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(tc.relname) AS qtable,
                   pg_catalog.pg_get_indexdef(i.indexrelid) AS def, i.indisclustered, i.indisreplident, pg_catalog.quote_ident(ic.relname) AS qname,
                   pg_catalog.pg_get_userbyid(tc.relowner) AS owner,
                   pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment, tc.relkind,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')) AS for_constraint,
                   (SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname) FROM pg_catalog.pg_inherits h
                    JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                    WHERE h.inhrelid = i.indexrelid) AS parent_index,
                   (SELECT h.inhparent FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid) AS parent_oid,
                   (SELECT pg_catalog.string_agg(format('ALTER INDEX %s ALTER COLUMN %s SET STATISTICS %s;', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ic.relname), a.attnum, a.attstattarget), E'\\n')
                    FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indexrelid AND COALESCE(a.attstattarget, -1) >= 0) AS stats
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
            JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
            WHERE tc.relkind IN ('r', 'p', 'm') AND \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "tc.oid"))
            ORDER BY n.nspname, ic.relname
            """)
        {
            let schema: String = try row.get("nspname"), name: String = try row.get("relname"), q: String = try row.get("q")
            let owner: String = try row.get("owner")
            let indexKey = Self.key(CatalogID.pgClass, row["indexrelid"])
            if row["for_constraint"] != "t" {
                var defn = (try row.get("def", as: String.self)) + ";\n"
                if row["indisclustered"] == "t" { defn += "\nALTER TABLE \(try row.get("qtable", as: String.self)) CLUSTER ON \(quoteIdentifier(name));\n" }
                if let stats = row["stats"] { defn += "\n\(stats)\n" }
                if row["indisreplident"] == "t" { defn += "\nALTER TABLE ONLY \(try row.get("qtable", as: String.self)) REPLICA IDENTITY USING INDEX \(try row.get("qname", as: String.self));\n" }
                var entries = [Self.entry(name, "INDEX", .postData, defn: defn, drop: "DROP INDEX \(q);\n", namespace: schema, owner: owner, tableOID: "1259", oid: row["indexrelid"] ?? "0", tablespace: "")]
                if let c = comment(row["comment"], target: "INDEX \(q)", tag: "INDEX \(name)", namespace: schema, owner: owner) { entries.append(c) }
                var object = DumpObject(key: indexKey, kind: .index, sortName: "\(schema).\(name)", entries: entries)
                object.dependencies = [Self.key(CatalogID.pgClass, row["indrelid"])]
                add(object)
            }
            if let parent = row["parent_index"] {
                var attach = DumpObject(
                    key: ObjectKey(catalog: 5, oid: indexKey.oid), kind: .indexAttach, sortName: "\(schema).\(name)",
                    entries: [Self.entry(name, "INDEX ATTACH", .postData, defn: "ALTER INDEX \(parent) ATTACH PARTITION \(q);\n", namespace: schema, owner: owner)])
                attach.dependencies = [indexKey, Self.key(CatalogID.pgClass, row["parent_oid"])]
                add(attach)
            }
        }
    }
}

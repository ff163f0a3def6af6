import PGWire

extension SchemaReader {
    /// Extensions mark tables and sequences holding user data with pg_extension_config_dump
    /// (PostGIS's spatial_ref_sys, for one). CREATE EXTENSION recreates them with the
    /// extension's own rows, so, as pg_dump does, the dump carries the rows the extension's
    /// filter (pg_extension.extcondition) selects, as TABLE DATA that needs the extension, and
    /// the sequences' values, as SEQUENCE SET.
    mutating func readExtensionConfigData() throws {
        var dataKeys: [UInt32: ObjectKey] = [:]
        for row in try rows("""
            SELECT e.oid AS extoid, c.oid, c.relname, c.relkind, n.nspname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, COALESCE(e.extcondition[x.n], '') AS condition,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns
            FROM pg_catalog.pg_extension e
            CROSS JOIN LATERAL pg_catalog.unnest(e.extconfig) WITH ORDINALITY AS x(reloid, n)
            JOIN pg_catalog.pg_class c ON c.oid = x.reloid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'S') AND \(userNamespaceFilter)
            ORDER BY n.nspname, c.relname
            """)
        {
            let name: String = try row.get("relname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            let owner: String = try row.get("owner"), oid = UInt32(row["oid"] ?? "0") ?? 0
            let extensionKey = Self.key(CatalogID.pgExtension, row["extoid"])
            if row["relkind"] == "S" {
                let state = try rows("SELECT last_value, is_called FROM \(q)")[0]
                var set = DumpObject(
                    key: ObjectKey(catalog: 4, oid: oid), kind: .sequenceSet, sortName: "\(schema).\(name)",
                    entries: [Self.entry(name, "SEQUENCE SET", .data, defn: "SELECT pg_catalog.setval(\(quoteLiteral(q)), \(try state.get("last_value", as: Int64.self)), \(try state.get("is_called", as: Bool.self)));\n", namespace: schema, owner: owner)])
                set.dependencies = [extensionKey]
                add(set)
                continue
            }
            let columns = row["columns"] ?? ""
            let columnList = columns.isEmpty ? "" : "(\(columns))"
            var data = Self.entry(name, "TABLE DATA", .data, defn: nil, namespace: schema, owner: owner, oid: row["oid"] ?? "0")
            data.hadDumper = true
            data.dataOffset = .notSet
            data.copyStmt = "COPY \(q) \(columnList) FROM stdin;\n"
            var object = DumpObject(key: ObjectKey(catalog: 2, oid: oid), kind: .tableData, sortName: "\(schema).\(name)", entries: [data])
            object.dependencies = [extensionKey]
            object.copyOut = PlannedTable(
                dumpId: 0, schema: schema, name: name,
                copyOutSQL: "COPY (SELECT \(columns) FROM \(q) \(row["condition"] ?? "")) TO STDOUT", tableOID: oid)
            dataKeys[oid] = object.key
            add(object)
        }
        // Rows of a configuration table that references another one load after the other's.
        guard dataKeys.count > 1 else { return }
        let oids = "{" + dataKeys.keys.map(String.init).joined(separator: ",") + "}"
        for row in try rows("""
            SELECT conrelid, confrelid FROM pg_catalog.pg_constraint
            WHERE contype = 'f' AND conrelid = ANY($1::pg_catalog.oid[]) AND confrelid = ANY($1::pg_catalog.oid[]) AND conrelid <> confrelid
            """, [oids]) {
            guard let from = dataKeys[UInt32(row["conrelid"] ?? "0") ?? 0], let to = dataKeys[UInt32(row["confrelid"] ?? "0") ?? 0],
                  let i = objects.firstIndex(where: { $0.key == from }) else { continue }
            objects[i].dependencies.insert(to)
        }
    }
}

import PGWire

// Tables, partitions, foreign tables, views and materialized views (sequences: Sequences.swift).

extension SchemaReader {
    mutating func readRelations() throws {
        let relations = try rows("""
            SELECT c.oid, c.relname, n.nspname, c.relkind, c.relpersistence, c.relispartition,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.quote_ident(n.nspname) AS qschema,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl,
                   pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
                   pg_catalog.array_to_string(c.reloptions, ', ') AS options,
                   c.relrowsecurity, c.relforcerowsecurity, c.relreplident, c.relispopulated,
                   CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
                   CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partbound,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname), ', ' ORDER BY i.inhseqno)
                    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                    WHERE i.inhrelid = c.oid) AS parents,
                   (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition) AS parent_oid,
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
                   (SELECT pg_catalog.quote_ident(fs.srvname) FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver
                    WHERE ft.ftrelid = c.oid) AS foreign_server,
                   (SELECT \(foreignOptionsSQL("ft.ftoptions")) FROM pg_catalog.pg_foreign_table ft WHERE ft.ftrelid = c.oid) AS foreign_options,
                   CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END AS oftype,
                   (SELECT a.amname FROM pg_catalog.pg_am a WHERE a.oid = c.relam) AS amname
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                              AND d.objid = c.oid AND d.objsubid = 0 AND d.refobjid <> c.oid AND d.deptype = 'i')
            ORDER BY n.nspname, c.relname
            """)
        let tableOIDs = relations.filter { ["r", "p", "f"].contains($0["relkind"]) }.compactMap { $0["oid"] }
        let columns = try readColumns(tableOIDs + relations.filter { ["v", "m"].contains($0["relkind"]) }.compactMap { $0["oid"] })
        let checks = try rows("""
            SELECT co.conrelid, pg_catalog.quote_ident(co.conname) AS q, pg_catalog.pg_get_constraintdef(co.oid) AS def, co.conname,
                   pg_catalog.obj_description(co.oid, 'pg_constraint') AS comment
            FROM pg_catalog.pg_constraint co
            WHERE co.conrelid = ANY($1::pg_catalog.oid[]) AND co.contype = 'c' AND co.convalidated
              AND (co.conislocal OR EXISTS (SELECT 1 FROM pg_catalog.pg_class pc WHERE pc.oid = co.conrelid AND pc.relispartition))
            ORDER BY co.conname
            """, ["{" + tableOIDs.joined(separator: ",") + "}"])

        for row in relations {
            let oid = row["oid"] ?? "0"
            let name: String = try row.get("relname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            let owner: String = try row.get("owner")
            let key = Self.key(CatalogID.pgClass, oid)
            switch row["relkind"] {
            case "S":
                try readSequence(row, name: name, schema: schema, q: q, owner: owner)
                continue
            case "v", "m":
                let materialized = row["relkind"] == "m"
                let desc = materialized ? "MATERIALIZED VIEW" : "VIEW"
                var defn = "CREATE \(desc) \(q)"
                if let options = row["options"], !options.isEmpty { defn += " WITH (\(options))" }
                var body = (try row.get("viewdef", as: String.self)).trimmingCharacters(in: .whitespacesAndNewlines)
                if body.hasSuffix(";") { body.removeLast() }
                defn += " AS\n \(body)"
                defn += materialized ? "\n  WITH NO DATA;\n" : ";\n"
                // Per-column compression, as pg_dump writes it for materialized views too.
                let compressed = (columns[oid] ?? []).compactMap { column in
                    column["compression"].map { "ALTER TABLE ONLY \(q) ALTER COLUMN \(column["q"] ?? "") SET COMPRESSION \($0);" }
                }
                if !compressed.isEmpty { defn += "\n" + compressed.joined(separator: "\n") + "\n" }
                var entries = [Self.entry(name, desc, .preData, defn: defn, drop: "DROP \(desc) \(q);\n", namespace: schema, owner: owner, tableOID: "1259", oid: oid, tablespace: materialized ? "" : nil, tableAM: materialized ? row["amname"] ?? "heap" : nil)]
                entries += columnCommentsAndACLs(row, columns: columns[oid] ?? [], schema: schema, q: q, name: name, owner: owner, kindWord: materialized ? "MATERIALIZED VIEW" : "VIEW")
                if let acl = try aclEntry(row["acl"], kind: "TABLE", target: q, tag: "TABLE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
                entries += try columnACLs(columns[oid] ?? [], q: q, name: name, schema: schema, owner: owner)
                var object = DumpObject(key: key, kind: .view, sortName: "\(schema).\(name)", entries: entries)
                object.postponable = true
                add(object)
                if materialized && row["relispopulated"] == "t" {
                    var data = DumpObject(
                        key: ObjectKey(catalog: 1, oid: key.oid), kind: .materializedViewData, sortName: "\(schema).\(name)",
                        entries: [Self.entry(name, "MATERIALIZED VIEW DATA", .postData, defn: "REFRESH MATERIALIZED VIEW \(q);\n", namespace: schema, owner: owner, oid: oid)])
                    data.dependencies = [key]
                    add(data)
                }
                continue
            default:
                break
            }
            // Tables, partitioned tables, partitions, inheritance children.
            let cols = columns[oid] ?? []
            let partition = row["relispartition"] == "t"
            let foreign = row["relkind"] == "f"
            let desc = foreign ? "FOREIGN TABLE" : "TABLE"
            var defn = "CREATE \(row["relpersistence"] == "u" ? "UNLOGGED " : "")\(desc) \(q) "
            // A typed table (CREATE TABLE ... OF type) takes its columns from the type; only NOT NULL is its own.
            let oftype = row["oftype"]
            if let oftype { defn += "OF \(oftype)" }
            var lines: [String] = []
            var after: [String] = []
            for column in cols {
                let qname: String = try column.get("q")
                if oftype != nil {
                    if column["attnotnull"] == "t" { lines.append("    \(qname) NOT NULL") }
                    continue
                }
                let local = column["attislocal"] == "t"
                // Partitions are created whole and attached afterwards, as pg_dump does.
                if !local && !partition {
                    // Inherited columns come from the parent; only what differs is set after.
                    if column["attnotnull"] == "t" && column["parent_notnull"] != "t" {
                        after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET NOT NULL;")
                    }
                    continue
                }
                var line = "    \(qname) \(try column.get("type", as: String.self))"
                if let collation = column["collation"] { line += " COLLATE \(collation)" }
                // An inheritance child takes the expression from its parent and may not repeat it
                // (PostgreSQL 15/16); a partition is created standalone, so it keeps it.
                if let generated = column["generated"], partition || generated != column["parent_generated"] {
                    line += " GENERATED ALWAYS AS (\(generated)) STORED"
                }
                if column["attnotnull"] == "t" {
                    // PostgreSQL 18 names NOT NULL constraints; keep a name that is not the default.
                    if let constraint = column["nn_name"], constraint != "\(name)_\(column["attname"] ?? "")_not_null" {
                        line += " CONSTRAINT \(quoteIdentifier(constraint))"
                    }
                    line += " NOT NULL"
                }
                lines.append(line)
            }
            for check in checks where check["conrelid"] == oid {
                lines.append("    CONSTRAINT \(try check.get("q", as: String.self)) \(try check.get("def", as: String.self))")
            }
            if oftype == nil || !lines.isEmpty { defn += (oftype == nil ? "" : " ") + "(\n" + lines.joined(separator: ",\n") + "\n)" }
            if !partition, let parents = row["parents"] { defn += "\nINHERITS (\(parents))" }
            if partition, let parent = row["parents"], let bound = row["partbound"] {
                var attach = DumpObject(
                    key: ObjectKey(catalog: 6, oid: UInt32(oid) ?? 0), kind: .attach, sortName: "\(schema).\(name)",
                    entries: [Self.entry(name, "TABLE ATTACH", .preData, defn: "ALTER TABLE ONLY \(parent) ATTACH PARTITION \(q) \(bound);\n", namespace: schema, owner: owner)])
                attach.dependencies = [Self.key(CatalogID.pgClass, oid), Self.key(CatalogID.pgClass, row["parent_oid"])]
                add(attach)
            }
            if let partkey = row["partkey"] { defn += "\nPARTITION BY \(partkey)" }
            if foreign { defn += foreignTableClause(server: try row.get("foreign_server"), options: row["foreign_options"]) }
            if let options = row["options"], !options.isEmpty { defn += "\nWITH (\(options))" }
            defn += ";\n"
            for column in cols {
                let qname: String = try column.get("q")
                if let identity = column["identity"], let seq = column["identity_seq"] {
                    after.append("ALTER TABLE \(q) ALTER COLUMN \(qname) ADD GENERATED \(identity == "a" ? "ALWAYS" : "BY DEFAULT") AS IDENTITY (\n    SEQUENCE NAME \(seq)\n\(column["identity_options"] ?? "")\n);")
                }
                if let target = column["stattarget"] { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET STATISTICS \(target);") }
                if let storage = column["storage"] { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET STORAGE \(storage);") }
                if let options = column["attoptions"] { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET (\(options));") }
                if let method = column["compression"] { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET COMPRESSION \(method);") }
                if let options = column["fdwoptions"] { after.append("ALTER FOREIGN TABLE \(q) ALTER COLUMN \(qname) OPTIONS (\n    \(options)\n);") }
            }
            switch foreign ? nil : row["relreplident"] {
            case "n": after.append("ALTER TABLE ONLY \(q) REPLICA IDENTITY NOTHING;")
            case "f": after.append("ALTER TABLE ONLY \(q) REPLICA IDENTITY FULL;")
            default: break
            }
            if row["relrowsecurity"] == "t" { after.append("ALTER TABLE \(q) ENABLE ROW LEVEL SECURITY;") }
            if row["relforcerowsecurity"] == "t" { after.append("ALTER TABLE ONLY \(q) FORCE ROW LEVEL SECURITY;") }
            if !after.isEmpty { defn += "\n" + after.joined(separator: "\n") + "\n" }
            var entries = [Self.entry(name, desc, .preData, defn: defn, drop: "DROP \(desc) \(q);\n", namespace: schema, owner: owner, tableOID: "1259", oid: oid, tablespace: foreign ? nil : "", tableAM: (foreign || row["relkind"] == "p") ? nil : row["amname"] ?? "heap")]
            entries += columnCommentsAndACLs(row, columns: cols, schema: schema, q: q, name: name, owner: owner, kindWord: desc)
            for check in checks where check["conrelid"] == oid {
                if let c = comment(check["comment"], target: "CONSTRAINT \(try check.get("q", as: String.self)) ON \(q)", tag: "CONSTRAINT \(check["conname"] ?? "") ON \(name)", namespace: schema, owner: owner) { entries.append(c) }
            }
            if let acl = try aclEntry(row["acl"], kind: "TABLE", target: q, tag: "TABLE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
            entries += try columnACLs(cols, q: q, name: name, schema: schema, owner: owner)
            add(DumpObject(key: key, kind: .table, sortName: "\(schema).\(name)", entries: entries))

            // Its rows (a partitioned table has none of its own).
            if row["relkind"] == "r" {
                // A table without columns copies with no column list (rows are empty lines), as pg_dump does.
                let copyColumns = cols.filter { $0["generated"] == nil }.compactMap { $0["q"] }.joined(separator: ", ")
                let columnList = copyColumns.isEmpty ? "" : "(\(copyColumns))"
                var data = Self.entry(name, "TABLE DATA", .data, defn: nil, namespace: schema, owner: owner, oid: oid)
                data.hadDumper = true
                data.dataOffset = .notSet
                data.copyStmt = "COPY \(q) \(columnList) FROM stdin;\n"
                var object = DumpObject(key: ObjectKey(catalog: 2, oid: key.oid), kind: .tableData, sortName: "\(schema).\(name)", entries: [data])
                object.dependencies = [key]
                object.copyOut = PlannedTable(
                    dumpId: 0, schema: schema, name: name, copyOutSQL: copyColumns.isEmpty ? "COPY \(q) TO STDOUT" : "COPY \(q) \(columnList) TO STDOUT", tableOID: key.oid)
                add(object)
            }
        }
    }
}

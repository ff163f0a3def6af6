import PGWire

extension SchemaReader {
    mutating func readConstraints() throws {
        for row in try rows("""
            SELECT co.oid, co.conname, pg_catalog.quote_ident(co.conname) AS qname, co.contype, co.convalidated, co.conrelid,
                   c.relname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.pg_get_constraintdef(co.oid) AS def, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
                   pg_catalog.obj_description(co.oid, 'pg_constraint') AS comment, c.relkind, co.conparentid, co.conislocal, c.relispartition,
                   co.conindid, (SELECT i.indisclustered FROM pg_catalog.pg_index i WHERE i.indexrelid = co.conindid) AS clustered,
                   (SELECT i.indisreplident FROM pg_catalog.pg_index i WHERE i.indexrelid = co.conindid) AS replident,
                   (SELECT pg_catalog.quote_ident(ic.relname) FROM pg_catalog.pg_class ic WHERE ic.oid = co.conindid) AS qindex
            FROM pg_catalog.pg_constraint co
            JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE co.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p', 'f') AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, co.conname
            """)
        {
            let type = row["contype"] ?? ""
            // Validated local CHECKs are inline in CREATE TABLE; inherited ones and foreign keys
            // cloned onto partitions come from their parent.
            if type == "c" && row["convalidated"] == "t" && (row["conislocal"] == "t" || row["relispartition"] == "t") { continue }
            if type == "c" && row["conislocal"] != "t" { continue }
            if type == "f" && row["conparentid"] != "0" { continue }
            let q: String = try row.get("q"), qname: String = try row.get("qname"), owner: String = try row.get("owner")
            let schema: String = try row.get("nspname"), table: String = try row.get("relname"), name: String = try row.get("conname")
            let desc: String, kind: ObjectKind
            switch type {
            case "f": desc = "FK CONSTRAINT"; kind = .foreignKey
            case "c": desc = "CHECK CONSTRAINT"; kind = .constraint
            default: desc = "CONSTRAINT"; kind = .constraint
            }
            let only = row["relkind"] == "p" && type == "f" ? "" : "ONLY "
            var defn = "ALTER TABLE \(only)\(q)\n    ADD CONSTRAINT \(qname) \(try row.get("def", as: String.self));\n"
            // A foreign key's conindid is the referenced table's key: its CLUSTER ON belongs there.
            if type != "f", row["clustered"] == "t", let index = row["qindex"] { defn += "\nALTER TABLE \(q) CLUSTER ON \(index);\n" }
            if type != "f", row["replident"] == "t", let index = row["qindex"] { defn += "\nALTER TABLE ONLY \(q) REPLICA IDENTITY USING INDEX \(index);\n" }
            var entries = [Self.entry(
                "\(table) \(name)", desc, .postData, defn: defn, drop: "ALTER TABLE ONLY \(q) DROP CONSTRAINT \(qname);\n",
                namespace: schema, owner: owner, tableOID: "2606", oid: row["oid"] ?? "0", tablespace: desc == "CONSTRAINT" ? "" : nil)]
            if let c = comment(row["comment"], target: "CONSTRAINT \(qname) ON \(q)", tag: "CONSTRAINT \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgConstraint, row["oid"]), kind: kind, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, row["conrelid"])]
            if row["conindid"] != "0" && type != "f" { alias[Self.key(CatalogID.pgClass, row["conindid"])] = object.key }
            add(object)
        }
    }
}

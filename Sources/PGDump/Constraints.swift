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
                   (SELECT pg_catalog.quote_ident(ic.relname) FROM pg_catalog.pg_class ic WHERE ic.oid = co.conindid) AS qindex,
                   (SELECT \(Self.tablespaceName("ic.reltablespace")) FROM pg_catalog.pg_class ic WHERE ic.oid = co.conindid) AS tablespace
            FROM pg_catalog.pg_constraint co
            JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE co.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p', 'f') AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, co.conname
            """)
        {
            var constraint = try ConstraintRow(row)
            if options.noTablespaces { constraint.tablespace = nil }
            guard constraint.isSeparate else { continue }
            let q = constraint.q, qname = constraint.qname, owner = constraint.owner
            let schema = constraint.schema, table = constraint.table, name = constraint.name
            var entries = [Self.constraintEntry(constraint)]
            if let c = comment(constraint.comment, target: "CONSTRAINT \(qname) ON \(q)", tag: "CONSTRAINT \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: constraint.key, kind: constraint.type == "f" ? .foreignKey : .constraint, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, constraint.tableOID)]
            if constraint.indexOID != "0" && constraint.type != "f" { alias[Self.key(CatalogID.pgClass, constraint.indexOID)] = object.key }
            add(object)
        }
    }

    /// ALTER TABLE ... ADD CONSTRAINT, with the CLUSTER ON and REPLICA IDENTITY of the index
    /// that implements it, as pg_dump's dumpConstraint writes them.
    static func constraintEntry(_ constraint: ConstraintRow) -> TOCEntry {
        let type = constraint.type, q = constraint.q, qname = constraint.qname
        let desc: String
        switch type {
        case "f": desc = "FK CONSTRAINT"
        case "c": desc = "CHECK CONSTRAINT"
        default: desc = "CONSTRAINT"
        }
        let only = constraint.relkind == "p" && type == "f" ? "" : "ONLY "
        var defn = "ALTER TABLE \(only)\(q)\n    ADD CONSTRAINT \(qname) \(constraint.definition);\n"
        // A foreign key's conindid is the referenced table's key: its CLUSTER ON belongs there.
        if type != "f", constraint.indexClustered, let index = constraint.qindex { defn += "\nALTER TABLE \(q) CLUSTER ON \(index);\n" }
        if type != "f", constraint.indexReplicaIdentity, let index = constraint.qindex { defn += "\nALTER TABLE ONLY \(q) REPLICA IDENTITY USING INDEX \(index);\n" }
        return entry(
            "\(constraint.table) \(constraint.name)", desc, .postData, defn: defn, drop: "ALTER TABLE ONLY \(q) DROP CONSTRAINT \(qname);\n",
            namespace: constraint.schema, owner: constraint.owner, tableOID: "2606", oid: constraint.oid, tablespace: desc == "CONSTRAINT" ? constraint.tablespace ?? "" : nil)
    }
}

/// One row of readConstraints' pg_constraint query, decoded once.
struct ConstraintRow {
    let oid: String
    let name: String
    /// quote_ident(conname).
    let qname: String
    /// pg_constraint.contype: p, u, f, c, x.
    let type: String
    let isValidated: Bool
    let tableOID: String
    let table: String
    let schema: String
    /// The table, qualified.
    let q: String
    /// pg_get_constraintdef.
    let definition: String
    let owner: String
    let comment: String?
    /// The table's relkind.
    let relkind: String?
    /// conparentid: a partition's copy of its parent's constraint.
    let parentOID: String?
    let isLocal: Bool
    let tableIsPartition: Bool
    /// conindid: the index that implements it (for a foreign key, the referenced key's).
    let indexOID: String?
    let indexClustered: Bool
    let indexReplicaIdentity: Bool
    /// quote_ident of that index's name.
    let qindex: String?
    /// The tablespace of the index a key constraint makes; nil for the default.
    var tablespace: String?
}

extension ConstraintRow {
    init(_ row: Row) throws {
        oid = row["oid"] ?? "0"
        name = try row.get("conname")
        qname = try row.get("qname")
        type = row["contype"] ?? ""
        isValidated = row["convalidated"] == "t"
        tableOID = try row.get("conrelid")
        table = try row.get("relname")
        schema = try row.get("nspname")
        q = try row.get("q")
        definition = try row.get("def")
        owner = try row.get("owner")
        comment = row["comment"]
        relkind = row["relkind"]
        parentOID = row["conparentid"]
        isLocal = row["conislocal"] == "t"
        tableIsPartition = row["relispartition"] == "t"
        indexOID = row["conindid"]
        indexClustered = row["clustered"] == "t"
        indexReplicaIdentity = row["replident"] == "t"
        qindex = row["qindex"]
        tablespace = row["tablespace"]
    }

    /// Whether it is its own post-data entry. Validated local CHECKs are inline in CREATE
    /// TABLE; inherited ones and foreign keys cloned onto partitions come from their parent.
    var isSeparate: Bool {
        if type == "c" && isValidated && (isLocal || tableIsPartition) { return false }
        if type == "c" && !isLocal { return false }
        if type == "f" && parentOID != "0" { return false }
        return true
    }

    var key: ObjectKey { SchemaReader.key(CatalogID.pgConstraint, oid) }
}

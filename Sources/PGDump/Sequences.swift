import PGWire

extension SchemaReader {
    mutating func readSequence(_ row: Row, name: String, schema: String, q: String, owner: String) throws {
        let oid = row["oid"] ?? "0"
        let seq = try rows("""
            SELECT pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                   d.refobjid AS owned_table,
                   (SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attribute a WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid) AS owned_column,
                   (SELECT pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(tc.relname) FROM pg_catalog.pg_class tc JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.oid = d.refobjid) AS owned_q
            FROM pg_catalog.pg_sequence s
            LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.seqrelid
                 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a'
            WHERE s.seqrelid = $1::pg_catalog.oid
            """, [oid])[0]
        let type: String = try seq.get("type")
        let increment: Int64 = try seq.get("seqincrement")
        let (defaultMin, defaultMax) = Self.defaultBounds(type: type, ascending: increment > 0)
        var defn = "CREATE SEQUENCE \(q)\n"
        if type != "bigint" { defn += "    AS \(type)\n" }
        defn += "    START WITH \(try seq.get("seqstart", as: Int64.self))\n    INCREMENT BY \(increment)\n"
        let min: Int64 = try seq.get("seqmin"), max: Int64 = try seq.get("seqmax")
        defn += min == defaultMin ? "    NO MINVALUE\n" : "    MINVALUE \(min)\n"
        defn += max == defaultMax ? "    NO MAXVALUE\n" : "    MAXVALUE \(max)\n"
        defn += "    CACHE \(try seq.get("seqcache", as: Int64.self))"
        if seq["seqcycle"] == "t" { defn += "\n    CYCLE" }
        defn += ";\n"
        if row["relpersistence"] == "u" { defn = defn.replacingOccurrences(of: "CREATE SEQUENCE", with: "CREATE UNLOGGED SEQUENCE") }
        let key = Self.key(CatalogID.pgClass, oid)
        var entries = [Self.entry(name, "SEQUENCE", .preData, defn: defn, drop: "DROP SEQUENCE \(q);\n", namespace: schema, owner: owner, tableOID: "1259", oid: oid)]
        if let c = comment(row["comment"], target: "SEQUENCE \(q)", tag: "SEQUENCE \(name)", namespace: schema, owner: owner) { entries.append(c) }
        if let acl = try aclEntry(row["acl"], kind: "SEQUENCE", target: q, tag: "SEQUENCE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
        add(DumpObject(key: key, kind: .sequence, sortName: "\(schema).\(name)", entries: entries))
        if let ownedQ = seq["owned_q"], let column = seq["owned_column"] {
            var owned = DumpObject(
                key: ObjectKey(catalog: 3, oid: key.oid), kind: .sequenceOwnedBy, sortName: "\(schema).\(name)",
                entries: [Self.entry(name, "SEQUENCE OWNED BY", .preData, defn: "ALTER SEQUENCE \(q) OWNED BY \(ownedQ).\(column);\n", namespace: schema, owner: owner)])
            owned.dependencies = [key, Self.key(CatalogID.pgClass, seq["owned_table"])]
            add(owned)
        }
        try addSequenceSet(q: q, name: name, schema: schema, owner: owner, sequenceKey: key)
    }

    mutating func addSequenceSet(q: String, name: String, schema: String, owner: String, sequenceKey: ObjectKey) throws {
        let state = try rows("SELECT last_value, is_called FROM \(q)")[0]
        var set = DumpObject(
            key: ObjectKey(catalog: 4, oid: sequenceKey.oid), kind: .sequenceSet, sortName: "\(schema).\(name)",
            entries: [Self.entry(name, "SEQUENCE SET", .data, defn: "SELECT pg_catalog.setval(\(quoteLiteral(q)), \(try state.get("last_value", as: Int64.self)), \(try state.get("is_called", as: Bool.self)));\n", namespace: schema, owner: owner)])
        set.dependencies = [sequenceKey]
        add(set)
    }

    /// Identity sequences are created by ALTER TABLE ... ADD GENERATED; only their values are set.
    mutating func readIdentitySequenceValues() throws {
        for row in try rows("""
            SELECT c.oid, c.relname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, d.refobjid
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i'
            WHERE c.relkind = 'S' AND \(userNamespaceFilter)
            """)
        {
            let tableKey = Self.key(CatalogID.pgClass, row["refobjid"])
            try addSequenceSet(q: try row.get("q"), name: try row.get("relname"), schema: try row.get("nspname"), owner: try row.get("owner"), sequenceKey: tableKey)
            alias[Self.key(CatalogID.pgClass, row["oid"])] = tableKey
        }
    }

    /// The bounds CREATE SEQUENCE picks when none are given, so they print as NO MINVALUE/NO MAXVALUE.
    static func defaultBounds(type: String, ascending: Bool) -> (Int64, Int64) {
        let maxValue: Int64
        switch type {
        case "smallint": maxValue = Int64(Int16.max)
        case "integer": maxValue = Int64(Int32.max)
        default: maxValue = Int64.max
        }
        let minValue: Int64 = type == "smallint" ? Int64(Int16.min) : type == "integer" ? Int64(Int32.min) : Int64.min
        return ascending ? (1, maxValue) : (minValue, -1)
    }
}

import Foundation
import PGWire

/// One pg_sequence row (with the column that owns the sequence, if any), decoded once.
struct SequenceRow {
    /// format_type of seqtypid: smallint, integer or bigint.
    let type: String
    let start: Int64
    let increment: Int64
    let min: Int64
    let max: Int64
    let cache: Int64
    let cycle: Bool
    /// The table, column and qualified table name of an OWNED BY sequence.
    let ownedTable: String?
    let ownedColumn: String?
    let ownedTableQ: String?
}

extension SequenceRow {
    init(_ row: Row) throws {
        type = try row.get("type")
        start = try row.get("seqstart")
        increment = try row.get("seqincrement")
        min = try row.get("seqmin")
        max = try row.get("seqmax")
        cache = try row.get("seqcache")
        cycle = row["seqcycle"] == "t"
        ownedTable = row["owned_table"]
        ownedColumn = row["owned_column"]
        ownedTableQ = row["owned_q"]
    }
}

extension SchemaReader {
    mutating func readSequence(_ relation: RelationRow) throws {
        let oid = relation.oid, name = relation.name, schema = relation.schema, q = relation.q, owner = relation.owner
        let seq = try SequenceRow(rows("""
            SELECT pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                   d.refobjid AS owned_table,
                   (SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attribute a WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid) AS owned_column,
                   (SELECT pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(tc.relname) FROM pg_catalog.pg_class tc JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.oid = d.refobjid) AS owned_q
            FROM pg_catalog.pg_sequence s
            LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.seqrelid
                 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a'
            WHERE s.seqrelid = $1::pg_catalog.oid
            """, [oid])[0])
        let key = relation.key
        var entries = [Self.sequenceEntry(relation, seq)]
        if let c = comment(relation.comment, target: "SEQUENCE \(q)", tag: "SEQUENCE \(name)", namespace: schema, owner: owner) { entries.append(c) }
        if let acl = try aclEntry(relation.acl, kind: "SEQUENCE", target: q, tag: "SEQUENCE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
        add(DumpObject(key: key, kind: .sequence, sortName: "\(schema).\(name)", entries: entries))
        if let owned = Self.sequenceOwnedBy(relation, seq) { add(owned) }
        try addSequenceSet(q: q, name: name, schema: schema, owner: owner, sequenceKey: key)
    }

    mutating func addSequenceSet(q: String, name: String, schema: String, owner: String, sequenceKey: ObjectKey) throws {
        let state = try rows("SELECT last_value, is_called FROM \(q)")[0]
        add(Self.sequenceSet(
            q: q, name: name, schema: schema, owner: owner, sequenceKey: sequenceKey,
            lastValue: try state.get("last_value"), isCalled: try state.get("is_called")))
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

    /// CREATE SEQUENCE as pg_dump's dumpSequence writes it: AS only when not bigint, NO
    /// MINVALUE/NO MAXVALUE for the bounds the type and direction imply.
    static func sequenceDefinition(_ relation: RelationRow, _ seq: SequenceRow) -> String {
        let (defaultMin, defaultMax) = defaultBounds(type: seq.type, ascending: seq.increment > 0)
        var defn = "CREATE SEQUENCE \(relation.q)\n"
        if seq.type != "bigint" { defn += "    AS \(seq.type)\n" }
        defn += "    START WITH \(seq.start)\n    INCREMENT BY \(seq.increment)\n"
        defn += seq.min == defaultMin ? "    NO MINVALUE\n" : "    MINVALUE \(seq.min)\n"
        defn += seq.max == defaultMax ? "    NO MAXVALUE\n" : "    MAXVALUE \(seq.max)\n"
        defn += "    CACHE \(seq.cache)"
        if seq.cycle { defn += "\n    CYCLE" }
        defn += ";\n"
        if relation.persistence == "u" { defn = defn.replacingOccurrences(of: "CREATE SEQUENCE", with: "CREATE UNLOGGED SEQUENCE") }
        return defn
    }

    static func sequenceEntry(_ relation: RelationRow, _ seq: SequenceRow) -> TOCEntry {
        entry(relation.name, "SEQUENCE", .preData, defn: sequenceDefinition(relation, seq), drop: "DROP SEQUENCE \(relation.q);\n", namespace: relation.schema, owner: relation.owner, tableOID: "1259", oid: relation.oid)
    }

    /// ALTER SEQUENCE ... OWNED BY for a sequence a column owns (serial); nil otherwise.
    static func sequenceOwnedBy(_ relation: RelationRow, _ seq: SequenceRow) -> DumpObject? {
        guard let ownedQ = seq.ownedTableQ, let column = seq.ownedColumn else { return nil }
        let key = relation.key, q = relation.q
        var owned = DumpObject(
            key: ObjectKey(catalog: 3, oid: key.oid), kind: .sequenceOwnedBy, sortName: "\(relation.schema).\(relation.name)",
            entries: [entry(relation.name, "SEQUENCE OWNED BY", .preData, defn: "ALTER SEQUENCE \(q) OWNED BY \(ownedQ).\(column);\n", namespace: relation.schema, owner: relation.owner)])
        owned.dependencies = [key, Self.key(CatalogID.pgClass, seq.ownedTable)]
        return owned
    }

    /// SEQUENCE SET: setval to the sequence's state (identity sequences' too, keyed by their table).
    static func sequenceSet(q: String, name: String, schema: String, owner: String, sequenceKey: ObjectKey, lastValue: Int64, isCalled: Bool) -> DumpObject {
        var set = DumpObject(
            key: ObjectKey(catalog: 4, oid: sequenceKey.oid), kind: .sequenceSet, sortName: "\(schema).\(name)",
            entries: [entry(name, "SEQUENCE SET", .data, defn: "SELECT pg_catalog.setval(\(quoteLiteral(q)), \(lastValue), \(isCalled));\n", namespace: schema, owner: owner)])
        set.dependencies = [sequenceKey]
        return set
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

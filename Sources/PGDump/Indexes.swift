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
                    FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indexrelid AND COALESCE(a.attstattarget, -1) >= 0) AS stats,
                   \(Self.tablespaceName("ic.reltablespace")) AS tablespace
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
            JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
            WHERE tc.relkind IN ('r', 'p', 'm') AND \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "tc.oid"))
            ORDER BY n.nspname, ic.relname
            """)
        {
            var index = try IndexRow(row)
            if options.noTablespaces { index.tablespace = nil }
            if let object = Self.indexObject(index) {
                var object = object
                if let c = comment(index.comment, target: "INDEX \(index.q)", tag: "INDEX \(index.name)", namespace: index.schema, owner: index.owner) { object.entries.append(c) }
                add(object)
            }
            if let attach = Self.indexAttach(index) { add(attach) }
        }
    }

    /// CREATE INDEX with its CLUSTER ON, per-column statistics and REPLICA IDENTITY, as
    /// pg_dump's dumpIndex writes them; nil for an index a constraint makes (the constraint's
    /// entry carries it).
    static func indexObject(_ index: IndexRow) -> DumpObject? {
        guard !index.forConstraint else { return nil }
        var defn = (index.definition ?? "") + ";\n"
        if index.isClustered { defn += "\nALTER TABLE \(index.tableQ) CLUSTER ON \(quoteIdentifier(index.name));\n" }
        if let stats = index.statistics { defn += "\n\(stats)\n" }
        if index.isReplicaIdentity { defn += "\nALTER TABLE ONLY \(index.tableQ) REPLICA IDENTITY USING INDEX \(index.qname);\n" }
        let entries = [entry(index.name, "INDEX", .postData, defn: defn, drop: "DROP INDEX \(index.q);\n", namespace: index.schema, owner: index.owner, tableOID: "1259", oid: index.oid, tablespace: index.tablespace ?? "")]
        var object = DumpObject(key: index.key, kind: .index, sortName: "\(index.schema).\(index.name)", entries: entries)
        object.dependencies = [key(CatalogID.pgClass, index.tableOID)]
        return object
    }

    /// ALTER INDEX ... ATTACH PARTITION for a partition's index; nil for others.
    static func indexAttach(_ index: IndexRow) -> DumpObject? {
        guard let parent = index.parentIndex else { return nil }
        var attach = DumpObject(
            key: ObjectKey(catalog: 5, oid: index.key.oid), kind: .indexAttach, sortName: "\(index.schema).\(index.name)",
            entries: [entry(index.name, "INDEX ATTACH", .postData, defn: "ALTER INDEX \(parent) ATTACH PARTITION \(index.q);\n", namespace: index.schema, owner: index.owner)])
        attach.dependencies = [index.key, key(CatalogID.pgClass, index.parentOID)]
        return attach
    }
}

/// One row of readIndexes' pg_index query, decoded once.
struct IndexRow {
    let oid: String
    let tableOID: String?
    let name: String
    let schema: String
    /// The index, qualified.
    let q: String
    /// quote_ident of the index's name.
    let qname: String
    /// Its table, qualified.
    let tableQ: String
    /// pg_get_indexdef; required unless a constraint makes the index.
    let definition: String?
    let isClustered: Bool
    let isReplicaIdentity: Bool
    let owner: String
    let comment: String?
    /// A primary key, unique or exclusion constraint of its table makes it.
    let forConstraint: Bool
    /// The partitioned index it is a partition of, qualified, and its OID.
    let parentIndex: String?
    let parentOID: String?
    /// ALTER INDEX ... SET STATISTICS lines, one per column with a target.
    let statistics: String?
    /// Its tablespace; nil for the database's default (or when the dump leaves tablespaces out).
    var tablespace: String?
}

extension IndexRow {
    init(_ row: Row) throws {
        oid = row["indexrelid"] ?? "0"
        tableOID = row["indrelid"]
        name = try row.get("relname")
        schema = try row.get("nspname")
        q = try row.get("q")
        qname = try row.get("qname")
        tableQ = try row.get("qtable")
        forConstraint = row["for_constraint"] == "t"
        definition = forConstraint ? row["def"] : try row.get("def", as: String.self)
        isClustered = row["indisclustered"] == "t"
        tablespace = row["tablespace"]
        isReplicaIdentity = row["indisreplident"] == "t"
        owner = try row.get("owner")
        comment = row["comment"]
        parentIndex = row["parent_index"]
        parentOID = row["parent_oid"]
        statistics = row["stats"]
    }

    var key: ObjectKey { SchemaReader.key(CatalogID.pgClass, oid) }
}

import Foundation
import PGWire

/// DDL of tables and views from their decoded catalog rows, as pg_dump's dumpTableSchema
/// writes it. Pure: no server, no options, so RenderTests can check it without a cluster.
extension SchemaReader {
    /// CREATE TABLE (or FOREIGN TABLE) and the ALTERs pg_dump appends to it. `checks`: the
    /// table's validated CHECK constraints written inline.
    static func tableDefinition(_ table: RelationRow, columns: [ColumnRow], checks: [CheckRow]) -> String {
        let q = table.q
        let partition = table.isPartition
        let foreign = table.relkind == "f"
        let desc = foreign ? "FOREIGN TABLE" : "TABLE"
        var defn = "CREATE \(table.persistence == "u" ? "UNLOGGED " : "")\(desc) \(q) "
        // A typed table (CREATE TABLE ... OF type) takes its columns from the type; only NOT NULL is its own.
        let oftype = table.ofType
        if let oftype { defn += "OF \(oftype)" }
        var lines: [String] = []
        var after: [String] = []
        for column in columns {
            let qname = column.q
            if oftype != nil {
                if column.notNull { lines.append("    \(qname) NOT NULL") }
                continue
            }
            // Partitions are created whole and attached afterwards, as pg_dump does.
            if !column.isLocal && !partition {
                // Inherited columns come from the parent; only what differs is set after.
                if column.notNull && !column.parentNotNull {
                    after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET NOT NULL;")
                }
                continue
            }
            var line = "    \(qname) \(column.type)"
            if let collation = column.collation { line += " COLLATE \(collation)" }
            // An inheritance child takes the expression from its parent and may not repeat it
            // (PostgreSQL 15/16); a partition is created standalone, so it keeps it.
            if let generated = column.generated, partition || generated != column.parentGenerated {
                line += " GENERATED ALWAYS AS (\(generated)) STORED"
            }
            if column.notNull {
                // PostgreSQL 18 names NOT NULL constraints; keep a name that is not the default.
                if let constraint = column.notNullName, constraint != "\(table.name)_\(column.name)_not_null" {
                    line += " CONSTRAINT \(quoteIdentifier(constraint))"
                }
                line += " NOT NULL"
            }
            lines.append(line)
        }
        for check in checks {
            lines.append("    CONSTRAINT \(check.q) \(check.definition)")
        }
        if oftype == nil || !lines.isEmpty { defn += (oftype == nil ? "" : " ") + "(\n" + lines.joined(separator: ",\n") + "\n)" }
        if !partition, let parents = table.parents { defn += "\nINHERITS (\(parents))" }
        if let partkey = table.partitionKey { defn += "\nPARTITION BY \(partkey)" }
        if foreign { defn += foreignTableClause(server: table.foreignServer ?? "", options: table.foreignOptions) }
        if let options = table.options, !options.isEmpty { defn += "\nWITH (\(options))" }
        defn += ";\n"
        for column in columns {
            let qname = column.q
            if let identity = column.identity, let seq = column.identitySequence {
                after.append("ALTER TABLE \(q) ALTER COLUMN \(qname) ADD GENERATED \(identity == "a" ? "ALWAYS" : "BY DEFAULT") AS IDENTITY (\n    SEQUENCE NAME \(seq)\n\(column.identityOptions ?? "")\n);")
            }
            if let target = column.statisticsTarget { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET STATISTICS \(target);") }
            if let storage = column.storage { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET STORAGE \(storage);") }
            if let options = column.options { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET (\(options));") }
            if let method = column.compression { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET COMPRESSION \(method);") }
            if let options = column.foreignOptions { after.append("ALTER FOREIGN TABLE \(q) ALTER COLUMN \(qname) OPTIONS (\n    \(options)\n);") }
        }
        switch foreign ? nil : table.replicaIdentity {
        case "n": after.append("ALTER TABLE ONLY \(q) REPLICA IDENTITY NOTHING;")
        case "f": after.append("ALTER TABLE ONLY \(q) REPLICA IDENTITY FULL;")
        default: break
        }
        if table.rowSecurity { after.append("ALTER TABLE \(q) ENABLE ROW LEVEL SECURITY;") }
        if table.forceRowSecurity { after.append("ALTER TABLE ONLY \(q) FORCE ROW LEVEL SECURITY;") }
        if !after.isEmpty { defn += "\n" + after.joined(separator: "\n") + "\n" }
        return defn
    }

    /// The TABLE (or FOREIGN TABLE) entry.
    static func tableEntry(_ table: RelationRow, columns: [ColumnRow], checks: [CheckRow]) -> TOCEntry {
        let foreign = table.relkind == "f"
        let desc = foreign ? "FOREIGN TABLE" : "TABLE"
        return entry(
            table.name, desc, .preData, defn: tableDefinition(table, columns: columns, checks: checks), drop: "DROP \(desc) \(table.q);\n",
            namespace: table.schema, owner: table.owner, tableOID: "1259", oid: table.oid, tablespace: foreign ? nil : table.tablespace ?? "",
            tableAM: (foreign || table.relkind == "p") ? nil : table.accessMethod ?? "heap")
    }

    /// A partition's ALTER TABLE ... ATTACH PARTITION, after both tables; nil for other tables.
    static func tableAttach(_ table: RelationRow) -> DumpObject? {
        guard table.isPartition, let parent = table.parents, let bound = table.partitionBound else { return nil }
        var attach = DumpObject(
            key: ObjectKey(catalog: 6, oid: UInt32(table.oid) ?? 0), kind: .attach, sortName: "\(table.schema).\(table.name)",
            entries: [entry(table.name, "TABLE ATTACH", .preData, defn: "ALTER TABLE ONLY \(parent) ATTACH PARTITION \(table.q) \(bound);\n", namespace: table.schema, owner: table.owner)])
        attach.dependencies = [key(CatalogID.pgClass, table.oid), key(CatalogID.pgClass, table.parentOID)]
        return attach
    }

    /// The TABLE DATA object of a plain table (a partitioned table has no rows of its own);
    /// nil for other relations.
    static func tableData(_ table: RelationRow, columns: [ColumnRow]) -> DumpObject? {
        guard table.relkind == "r" else { return nil }
        let q = table.q, key = table.key
        // A table without columns copies with no column list (rows are empty lines), as pg_dump does.
        let copyColumns = columns.filter { $0.generated == nil }.map(\.q).joined(separator: ", ")
        let columnList = copyColumns.isEmpty ? "" : "(\(copyColumns))"
        var data = entry(table.name, "TABLE DATA", .data, defn: nil, namespace: table.schema, owner: table.owner, oid: table.oid)
        data.hadDumper = true
        data.dataOffset = .notSet
        data.copyStmt = "COPY \(q) \(columnList) FROM stdin;\n"
        var object = DumpObject(key: ObjectKey(catalog: 2, oid: key.oid), kind: .tableData, sortName: "\(table.schema).\(table.name)", entries: [data])
        object.dependencies = [key]
        object.copyOut = PlannedTable(
            dumpId: 0, schema: table.schema, name: table.name, copyOutSQL: copyColumns.isEmpty ? "COPY \(q) TO STDOUT" : "COPY \(q) \(columnList) TO STDOUT", tableOID: key.oid)
        return object
    }

    /// The VIEW or MATERIALIZED VIEW entry (a materialized view is created WITH NO DATA).
    static func viewEntry(_ view: RelationRow, columns: [ColumnRow]) -> TOCEntry {
        let q = view.q
        let materialized = view.relkind == "m"
        let desc = materialized ? "MATERIALIZED VIEW" : "VIEW"
        var defn = "CREATE \(desc) \(q)"
        if let options = view.options, !options.isEmpty { defn += " WITH (\(options))" }
        var body = (view.viewDefinition ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if body.hasSuffix(";") { body.removeLast() }
        defn += " AS\n \(body)"
        defn += materialized ? "\n  WITH NO DATA;\n" : ";\n"
        // Per-column compression, as pg_dump writes it for materialized views too.
        let compressed = columns.compactMap { column in
            column.compression.map { "ALTER TABLE ONLY \(q) ALTER COLUMN \(column.q) SET COMPRESSION \($0);" }
        }
        if !compressed.isEmpty { defn += "\n" + compressed.joined(separator: "\n") + "\n" }
        return entry(view.name, desc, .preData, defn: defn, drop: "DROP \(desc) \(q);\n", namespace: view.schema, owner: view.owner, tableOID: "1259", oid: view.oid, tablespace: materialized ? view.tablespace ?? "" : nil, tableAM: materialized ? view.accessMethod ?? "heap" : nil)
    }

    /// REFRESH MATERIALIZED VIEW for a populated materialized view; nil otherwise.
    static func materializedViewData(_ view: RelationRow) -> DumpObject? {
        guard view.relkind == "m" && view.isPopulated else { return nil }
        var data = DumpObject(
            key: ObjectKey(catalog: 1, oid: view.key.oid), kind: .materializedViewData, sortName: "\(view.schema).\(view.name)",
            entries: [entry(view.name, "MATERIALIZED VIEW DATA", .postData, defn: "REFRESH MATERIALIZED VIEW \(view.q);\n", namespace: view.schema, owner: view.owner, oid: view.oid)])
        data.dependencies = [view.key]
        return data
    }
}

import PGWire

/// A table whose rows go into the archive.
public struct PlannedTable: Sendable {
    public var dumpId: Int32
    public var schema: String
    public var name: String
    /// `COPY ... TO STDOUT` that reads it (explicit column list).
    public var copyOutSQL: String
}

/// Builds the TOC, in restore order, from the catalog: pre-data (schemas, sequences,
/// tables, ownership, defaults), data (tables, sequence values), post-data (constraints,
/// indexes, foreign keys). Entry shapes follow what stock pg_dump writes, so pg_restore
/// handles them the way it handles its own (ALTER OWNER, -l listing, -j scheduling).
struct DumpPlanner {
    private var entries: [TOCEntry] = []
    private var nextId: Int32 = 1
    private(set) var tables: [PlannedTable] = []

    private mutating func add(
        _ tag: String, _ desc: String, _ section: DumpSection, defn: String?, drop: String? = nil,
        namespace: String? = nil, owner: String? = nil, tableOID: String = "0", oid: String = "0",
        dependencies: [Int32] = [], tablespace: String? = nil, tableAM: String? = nil
    ) -> Int32 {
        var entry = TOCEntry(dumpId: nextId, tag: tag, desc: desc, section: section)
        entry.defn = defn
        entry.dropStmt = drop
        entry.namespace = namespace
        entry.owner = owner
        entry.tableOID = tableOID
        entry.oid = oid
        entry.dependencies = dependencies
        entry.tablespace = tablespace
        entry.tableAM = tableAM
        entries.append(entry)
        nextId += 1
        return entry.dumpId
    }

    private mutating func comment(
        _ text: String?, on target: String, tag: String, namespace: String?, owner: String, dependsOn: Int32
    ) {
        guard let text else { return }
        _ = add(
            tag, "COMMENT", .none, defn: "COMMENT ON \(target) IS \(quoteLiteral(text));\n",
            namespace: namespace, owner: owner, dependencies: [dependsOn])
    }

    static func plan(_ catalog: CatalogSnapshot) -> (entries: [TOCEntry], tables: [PlannedTable]) {
        var planner = DumpPlanner()
        planner.build(catalog)
        return (planner.entries, planner.tables)
    }

    private mutating func build(_ catalog: CatalogSnapshot) {
        _ = add("ENCODING", "ENCODING", .preData, defn: "SET client_encoding = '\(catalog.encoding)';\n")
        _ = add("STDSTRINGS", "STDSTRINGS", .preData, defn: "SET standard_conforming_strings = 'on';\n")
        _ = add("SEARCHPATH", "SEARCHPATH", .preData, defn: "SELECT pg_catalog.set_config('search_path', '', false);\n")

        var schemaIds: [String: Int32] = [:]
        for schema in catalog.schemas {
            let id = add(
                schema.name, "SCHEMA", .preData, defn: "CREATE SCHEMA \(schema.quoted);\n",
                drop: "DROP SCHEMA \(schema.quoted);\n", owner: schema.owner, tableOID: "2615", oid: schema.oid)
            schemaIds[schema.name] = id
            comment(schema.comment, on: "SCHEMA \(schema.quoted)", tag: "SCHEMA \(schema.name)", namespace: nil, owner: schema.owner, dependsOn: id)
        }
        func schemaDeps(_ name: String) -> [Int32] { schemaIds[name].map { [$0] } ?? [] }

        var tableIds: [String: Int32] = [:]
        var tablesByOID: [String: TableInfo] = [:]
        for table in catalog.tables {
            tablesByOID[table.oid] = table
            let checks = catalog.constraints.filter { $0.tableOID == table.oid && $0.type == "c" && $0.validated }
            var lines = table.columns.map { column -> String in
                var line = "    \(column.quoted) \(column.type)"
                if let collation = column.collation { line += " COLLATE \(collation)" }
                if column.notNull { line += " NOT NULL" }
                return line
            }
            lines += checks.map { "    CONSTRAINT \($0.quoted) \($0.definition)" }
            var defn = "CREATE \(table.unlogged ? "UNLOGGED " : "")TABLE \(table.qualified) (\n"
            defn += lines.joined(separator: ",\n") + "\n)"
            if let options = table.options { defn += "\nWITH (\(options))" }
            defn += ";\n"
            let id = add(
                table.name, "TABLE", .preData, defn: defn, drop: "DROP TABLE \(table.qualified);\n",
                namespace: table.schema, owner: table.owner, tableOID: "1259", oid: table.oid,
                dependencies: schemaDeps(table.schema), tablespace: "", tableAM: "heap")
            tableIds[table.oid] = id
            comment(table.comment, on: "TABLE \(table.qualified)", tag: "TABLE \(table.name)", namespace: table.schema, owner: table.owner, dependsOn: id)
            for column in table.columns {
                comment(
                    column.comment, on: "COLUMN \(table.qualified).\(column.quoted)",
                    tag: "COLUMN \(table.name).\(column.name)", namespace: table.schema, owner: table.owner, dependsOn: id)
            }
            for check in checks {
                comment(
                    check.comment, on: "CONSTRAINT \(check.quoted) ON \(table.qualified)",
                    tag: "CONSTRAINT \(check.name) ON \(table.name)", namespace: table.schema, owner: table.owner, dependsOn: id)
            }
        }

        var sequenceIds: [String: Int32] = [:]
        for sequence in catalog.sequences {
            var defn = "CREATE SEQUENCE \(sequence.qualified)\n"
            if sequence.type != "bigint" { defn += "    AS \(sequence.type)\n" }
            defn += "    START WITH \(sequence.start)\n    INCREMENT BY \(sequence.increment)\n"
            let (defaultMin, defaultMax) = Self.defaultBounds(type: sequence.type, ascending: sequence.increment > 0)
            defn += sequence.min == defaultMin ? "    NO MINVALUE\n" : "    MINVALUE \(sequence.min)\n"
            defn += sequence.max == defaultMax ? "    NO MAXVALUE\n" : "    MAXVALUE \(sequence.max)\n"
            defn += "    CACHE \(sequence.cache)"
            if sequence.cycle { defn += "\n    CYCLE" }
            defn += ";\n"
            var deps = schemaDeps(sequence.schema)
            if let owner = sequence.ownedByTable, let tableId = tableIds[owner] { deps.append(tableId) }
            let id = add(
                sequence.name, "SEQUENCE", .preData, defn: defn, drop: "DROP SEQUENCE \(sequence.qualified);\n",
                namespace: sequence.schema, owner: sequence.owner, tableOID: "1259", oid: sequence.oid,
                dependencies: deps)
            sequenceIds[sequence.oid] = id
            if let tableOID = sequence.ownedByTable, let column = sequence.ownedByColumn, let table = tablesByOID[tableOID] {
                _ = add(
                    sequence.name, "SEQUENCE OWNED BY", .preData,
                    defn: "ALTER SEQUENCE \(sequence.qualified) OWNED BY \(table.qualified).\(column);\n",
                    namespace: sequence.schema, owner: sequence.owner, dependencies: [id])
            }
            comment(sequence.comment, on: "SEQUENCE \(sequence.qualified)", tag: "SEQUENCE \(sequence.name)", namespace: sequence.schema, owner: sequence.owner, dependsOn: id)
        }

        // Column defaults come after sequences so nextval() defaults find theirs.
        for table in catalog.tables {
            for column in table.columns {
                guard let expr = column.defaultExpr else { continue }
                _ = add(
                    "\(table.name) \(column.name)", "DEFAULT", .preData,
                    defn: "ALTER TABLE ONLY \(table.qualified) ALTER COLUMN \(column.quoted) SET DEFAULT \(expr);\n",
                    drop: "ALTER TABLE \(table.qualified) ALTER COLUMN \(column.quoted) DROP DEFAULT;\n",
                    namespace: table.schema, owner: table.owner, tableOID: "2604",
                    dependencies: [tableIds[table.oid]!])
            }
        }

        // MARK: data
        for table in catalog.tables {
            let columns = table.columns.map(\.quoted).joined(separator: ", ")
            let id = nextId
            var entry = TOCEntry(dumpId: id, tag: table.name, desc: "TABLE DATA", section: .data)
            entry.hadDumper = true
            entry.oid = table.oid
            entry.copyStmt = "COPY \(table.qualified) (\(columns)) FROM stdin;\n"
            entry.namespace = table.schema
            entry.owner = table.owner
            entry.dependencies = [tableIds[table.oid]!]
            entry.dataOffset = .notSet
            entries.append(entry)
            nextId += 1
            tables.append(PlannedTable(
                dumpId: id, schema: table.schema, name: table.name,
                copyOutSQL: "COPY \(table.qualified) (\(columns)) TO STDOUT"))
        }
        for sequence in catalog.sequences {
            _ = add(
                sequence.name, "SEQUENCE SET", .data,
                defn: "SELECT pg_catalog.setval(\(quoteLiteral(sequence.qualified)), \(sequence.lastValue), \(sequence.isCalled));\n",
                namespace: sequence.schema, owner: sequence.owner, dependencies: [sequenceIds[sequence.oid]!])
        }

        // MARK: post-data
        var constraintIds: [String: Int32] = [:]
        let keyConstraints = catalog.constraints.filter { "pux".contains($0.type) }
        let foreignKeys = catalog.constraints.filter { $0.type == "f" }
        let lateChecks = catalog.constraints.filter { $0.type == "c" && !$0.validated }
        func addConstraint(_ constraint: ConstraintInfo, desc: String, extraDeps: [Int32]) {
            guard let table = tablesByOID[constraint.tableOID], let tableId = tableIds[table.oid] else { return }
            let id = add(
                "\(table.name) \(constraint.name)", desc, .postData,
                defn: "ALTER TABLE ONLY \(table.qualified)\n    ADD CONSTRAINT \(constraint.quoted) \(constraint.definition);\n",
                drop: "ALTER TABLE ONLY \(table.qualified) DROP CONSTRAINT \(constraint.quoted);\n",
                namespace: table.schema, owner: table.owner, tableOID: "2606", oid: constraint.oid,
                dependencies: [tableId] + extraDeps, tablespace: desc == "CONSTRAINT" ? "" : nil)
            constraintIds[constraint.oid] = id
            comment(
                constraint.comment, on: "CONSTRAINT \(constraint.quoted) ON \(table.qualified)",
                tag: "CONSTRAINT \(constraint.name) ON \(table.name)", namespace: table.schema, owner: table.owner, dependsOn: id)
        }
        for constraint in keyConstraints { addConstraint(constraint, desc: "CONSTRAINT", extraDeps: []) }
        for index in catalog.indexes {
            guard let table = tablesByOID[index.tableOID], let tableId = tableIds[table.oid] else { continue }
            let qualifiedIndex = "\(table.quotedSchema).\(index.quoted)"
            var defn = index.definition + ";\n"
            if index.clustered { defn += "\nALTER TABLE \(table.qualified) CLUSTER ON \(index.quoted);\n" }
            let id = add(
                index.name, "INDEX", .postData, defn: defn, drop: "DROP INDEX \(qualifiedIndex);\n",
                namespace: table.schema, owner: table.owner, tableOID: "1259", oid: index.oid,
                dependencies: [tableId], tablespace: "")
            comment(index.comment, on: "INDEX \(qualifiedIndex)", tag: "INDEX \(index.name)", namespace: table.schema, owner: table.owner, dependsOn: id)
        }
        // Foreign keys last: they need the referenced keys, and the data, in place.
        let keyIds = constraintIds.values.sorted()
        for constraint in foreignKeys { addConstraint(constraint, desc: "FK CONSTRAINT", extraDeps: keyIds) }
        for constraint in lateChecks { addConstraint(constraint, desc: "CHECK CONSTRAINT", extraDeps: []) }
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


import PGWire

/// A domain's CHECK constraints, split as pg_dump splits them.
struct DomainConstraints {
    /// `CONSTRAINT name CHECK (...)` clauses of the validated constraints, for CREATE DOMAIN.
    var inline = ""
    /// Comments on the validated constraints; they belong with the domain.
    var comments: [TOCEntry] = []
    /// NOT VALID constraints, each its own post-data object.
    var separate: [DumpObject] = []
}

extension SchemaReader {
    /// CREATE DOMAIN cannot say NOT VALID, so a constraint added with `ALTER DOMAIN ... ADD
    /// CONSTRAINT ... NOT VALID` is written as that ALTER DOMAIN, a post-data "CHECK CONSTRAINT"
    /// entry of its own (pg_dump does the same); validated ones stay inline.
    func domainConstraints(domainOID: String, domainKey: ObjectKey, q: String, name: String, schema: String, owner: String) throws -> DomainConstraints {
        var result = DomainConstraints()
        for check in try rows("""
            SELECT oid, conname, pg_catalog.quote_ident(conname) AS q, pg_catalog.pg_get_constraintdef(oid) AS def, convalidated,
                   pg_catalog.obj_description(oid, 'pg_constraint') AS comment
            FROM pg_catalog.pg_constraint WHERE contypid = $1::pg_catalog.oid AND contype = 'c' ORDER BY conname
            """, [domainOID]) {
            let constraint: String = try check.get("conname"), qc: String = try check.get("q"), def: String = try check.get("def")
            let comment = comment(check["comment"], target: "CONSTRAINT \(qc) ON DOMAIN \(q)", tag: "CONSTRAINT \(constraint) ON DOMAIN \(name)", namespace: schema, owner: owner)
            if check["convalidated"] == "t" {
                result.inline += "\n\tCONSTRAINT \(qc) \(def)"
                if let comment { result.comments.append(comment) }
                continue
            }
            var entries = [Self.entry(
                "\(name) \(constraint)", "CHECK CONSTRAINT", .postData,
                defn: "ALTER DOMAIN \(q)\n    ADD CONSTRAINT \(qc) \(def);\n", drop: "ALTER DOMAIN \(q) DROP CONSTRAINT \(qc);\n",
                namespace: schema, owner: owner, tableOID: "2606", oid: check["oid"] ?? "0")]
            if let comment { entries.append(comment) }
            var object = DumpObject(key: Self.key(CatalogID.pgConstraint, check["oid"]), kind: .constraint, sortName: "\(schema).\(name).\(constraint)", entries: entries)
            object.dependencies = [domainKey]
            result.separate.append(object)
        }
        return result
    }

    /// Stock pg_restore -j starts a post-data entry as soon as its dependencies are restored, so
    /// a NOT VALID domain check could be added before the rows that break it are copied (stock
    /// pg_dump archives have that race: 3 failures in 6 runs of pg_restore -j 2 on PostgreSQL 15).
    /// Making it wait for every table's data closes it; our own restore runs data first anyway.
    mutating func orderDomainChecksAfterData() {
        let data = objects.filter { $0.kind == .tableData }.map(\.key)
        guard !data.isEmpty else { return }
        for i in objects.indices where objects[i].entries[0].desc == "CHECK CONSTRAINT" && objects[i].section == .postData {
            objects[i].dependencies.formUnion(data)
        }
    }
}

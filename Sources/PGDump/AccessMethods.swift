import PGWire

extension SchemaReader {
    /// Index and table access methods the user created, as pg_dump's dumpAccessMethod writes
    /// them: outside any schema, without an owner. A table or materialized view using one
    /// names it in its TOC entry's tableam field, from which pg_restore (and our restore)
    /// sets default_table_access_method before creating it.
    mutating func readAccessMethods() throws {
        for row in try rows("""
            SELECT a.oid, a.amname, pg_catalog.quote_ident(a.amname) AS q, a.amtype, a.amhandler::pg_catalog.regproc::text AS handler,
                   pg_catalog.obj_description(a.oid, 'pg_am') AS comment
            FROM pg_catalog.pg_am a
            WHERE a.oid >= 16384 AND \(notExtensionMember("pg_catalog.pg_am", "a.oid"))
            ORDER BY a.amname
            """)
        {
            let name: String = try row.get("amname"), q: String = try row.get("q")
            let type: String
            switch row["amtype"] {
            case "i": type = "INDEX"
            case "t": type = "TABLE"
            default: continue
            }
            let defn = "CREATE ACCESS METHOD \(q) TYPE \(type) HANDLER \(try row.get("handler", as: String.self));\n"
            var entries = [Self.entry(name, "ACCESS METHOD", .preData, defn: defn, drop: "DROP ACCESS METHOD \(q);\n", tableOID: String(CatalogID.pgAm), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "ACCESS METHOD \(q)", tag: "ACCESS METHOD \(name)", namespace: nil, owner: "") { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgAm, row["oid"]), kind: .accessMethod, sortName: name, entries: entries))
        }
    }
}

extension RestoreEngine {
    /// `SET default_table_access_method` when an entry names a table access method other than
    /// the one set last, as pg_restore's _selectTableAccessMethod does; nil otherwise.
    static func tableAccessMethodStatement(_ entry: TOCEntry, current: inout String?) -> String? {
        guard let method = entry.tableAM, !method.isEmpty, method != current else { return nil }
        current = method
        return "SET default_table_access_method = \(quoteIdentifier(method));"
    }
}

import PGWire

extension SchemaReader {
    /// Casts the user created (OID past the built-in ones, not an extension's, not a range
    /// type's to its multirange), as pg_dump's
    /// dumpCast writes them: outside any schema, without an owner, tagged "CAST (source AS
    /// target)" with both types as format_type prints them.
    mutating func readCasts() throws {
        for row in try rows("""
            SELECT c.oid, c.castcontext, c.castmethod,
                   pg_catalog.format_type(c.castsource, NULL) AS source, pg_catalog.format_type(c.casttarget, NULL) AS target,
                   CASE WHEN c.castfunc <> 0 THEN
                       (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) || '('
                               || COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format_type(a.t, NULL), ', ' ORDER BY a.n)
                                            FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n)), '') || ')'
                        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = c.castfunc) END AS function,
                   pg_catalog.obj_description(c.oid, 'pg_cast') AS comment
            FROM pg_catalog.pg_cast c
            WHERE c.oid >= 16384 AND \(notExtensionMember("pg_catalog.pg_cast", "c.oid"))
              -- CREATE TYPE ... AS RANGE makes the cast to its multirange type itself.
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_range r WHERE r.rngtypid = c.castsource AND r.rngmultitypid = c.casttarget)
            ORDER BY c.castsource, c.casttarget
            """)
        {
            let source: String = try row.get("source"), target: String = try row.get("target")
            let label = "CAST (\(source) AS \(target))"
            var defn = "CREATE \(label) "
            switch row["castmethod"] {
            case "b": defn += "WITHOUT FUNCTION"
            case "i": defn += "WITH INOUT"
            default: defn += "WITH FUNCTION \(try row.get("function", as: String.self))"
            }
            if row["castcontext"] == "a" { defn += " AS ASSIGNMENT" }
            if row["castcontext"] == "i" { defn += " AS IMPLICIT" }
            defn += ";\n"
            var entries = [Self.entry(label, "CAST", .preData, defn: defn, drop: "DROP \(label);\n", tableOID: String(CatalogID.pgCast), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: label, tag: label, namespace: nil, owner: "") { entries.append(c) }
            // Its types and function come first through pg_depend (readDependencies).
            let object = DumpObject(key: Self.key(CatalogID.pgCast, row["oid"]), kind: .cast, sortName: label, entries: entries)
            add(object)
        }
    }
}

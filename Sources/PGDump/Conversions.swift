import PGWire

extension SchemaReader {
    /// Encoding conversions (CREATE [DEFAULT] CONVERSION), as pg_dump's dumpConversion writes
    /// them; the function as regproc prints it (bare for the system's own).
    mutating func readConversions() throws {
        for row in try rows("""
            SELECT c.oid, c.conname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.conname) AS q,
                   pg_catalog.pg_encoding_to_char(c.conforencoding) AS source, pg_catalog.pg_encoding_to_char(c.contoencoding) AS target,
                   c.conproc::pg_catalog.regprocedure::text AS function, c.condefault,
                   pg_catalog.pg_get_userbyid(c.conowner) AS owner, pg_catalog.obj_description(c.oid, 'pg_conversion') AS comment
            FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_conversion", "c.oid"))
            ORDER BY n.nspname, c.conname
            """)
        {
            let name: String = try row.get("conname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            let owner: String = try row.get("owner")
            let defn = "CREATE \(row["condefault"] == "t" ? "DEFAULT " : "")CONVERSION \(q) FOR \(quoteLiteral(try row.get("source"))) TO \(quoteLiteral(try row.get("target"))) FROM \(Self.withoutArguments(try row.get("function")));\n"
            var entries = [Self.entry(name, "CONVERSION", .preData, defn: defn, drop: "DROP CONVERSION \(q);\n", namespace: schema, owner: owner, tableOID: String(CatalogID.pgConversion), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "CONVERSION \(q)", tag: "CONVERSION \(name)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgConversion, row["oid"]), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
    }
}

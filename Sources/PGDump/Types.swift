import PGWire

// Enum, composite, domain, range and shell types.

extension SchemaReader {
    mutating func readTypes() throws {
        for row in try rows("""
            SELECT t.oid, t.typname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname) AS q,
                   t.typtype, t.typrelid, pg_catalog.pg_get_userbyid(t.typowner) AS owner,
                   pg_catalog.obj_description(t.oid, 'pg_type') AS comment, t.typacl::text AS acl,
                   pg_catalog.format_type(t.typbasetype, t.typtypmod) AS basetype, t.typnotnull, t.typdefault,
                   CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
                        THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname)
                              FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace
                              WHERE c.oid = t.typcollation) END AS collation,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                    FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels
            FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
            LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_type", "t.oid"))
              AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c') OR (t.typtype = 'p' AND NOT t.typisdefined))
            ORDER BY n.nspname, t.typname
            """)
        {
            let name: String = try row.get("typname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            let schema: String = try row.get("nspname")
            let oid = row["oid"] ?? "0"
            var defn: String
            var desc = "TYPE"
            var domain = DomainConstraints()
            switch row["typtype"] {
            case "p":
                // A shell type: declared, never defined (pg_dump's dumpUndefinedType).
                defn = "CREATE TYPE \(q);\n"
            case "e":
                defn = "CREATE TYPE \(q) AS ENUM (\n    \((row["labels"] ?? "").replacingOccurrences(of: ", ", with: ",\n    "))\n);\n"
            case "d":
                desc = "DOMAIN"
                defn = "CREATE DOMAIN \(q) AS \(try row.get("basetype", as: String.self))"
                if let collation = row["collation"] { defn += " COLLATE \(collation)" }
                if let def = row["typdefault"] { defn += " DEFAULT \(def)" }
                if row["typnotnull"] == "t" { defn += " NOT NULL" }
                domain = try domainConstraints(domainOID: oid, domainKey: Self.key(CatalogID.pgType, oid), q: q, name: name, schema: schema, owner: owner)
                defn += domain.inline + ";\n"
            case "r":
                let range = try rows("""
                    SELECT pg_catalog.format_type(r.rngsubtype, NULL) AS subtype,
                           CASE WHEN r.rngsubopc <> (SELECT o.oid FROM pg_catalog.pg_opclass o WHERE o.opcintype = r.rngsubtype AND o.opcdefault AND o.opcmethod = 403 LIMIT 1)
                                THEN (SELECT pg_catalog.quote_ident(on2.nspname) || '.' || pg_catalog.quote_ident(o.opcname) FROM pg_catalog.pg_opclass o JOIN pg_catalog.pg_namespace on2 ON on2.oid = o.opcnamespace WHERE o.oid = r.rngsubopc) END AS opclass,
                           CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname) FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace WHERE c.oid = r.rngcollation) END AS collation,
                           NULLIF(r.rngcanonical::pg_catalog.regproc::text, '-') AS canonical,
                           NULLIF(r.rngsubdiff::pg_catalog.regproc::text, '-') AS subdiff,
                           (SELECT pg_catalog.quote_ident(mt.typname) FROM pg_catalog.pg_type mt WHERE mt.oid = r.rngmultitypid) AS multirange,
                           (SELECT mt.typnamespace = t.typnamespace FROM pg_catalog.pg_type mt WHERE mt.oid = r.rngmultitypid) AS same_ns
                    FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type t ON t.oid = r.rngtypid JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
                    WHERE r.rngtypid = $1::pg_catalog.oid
                    """, [oid])[0]
                var parts = ["    subtype = \(try range.get("subtype", as: String.self))"]
                if let multirange = range["multirange"] { parts.append("    multirange_type_name = \(range["same_ns"] == "t" ? "\(quoteIdentifier(schema)).\(multirange)" : multirange)") }
                if let opclass = range["opclass"] { parts.append("    subtype_opclass = \(opclass)") }
                if let collation = range["collation"] { parts.append("    collation = \(collation)") }
                if let canonical = range["canonical"] { parts.append("    canonical = \(canonical)") }
                if let subdiff = range["subdiff"] { parts.append("    subtype_diff = \(subdiff)") }
                defn = "CREATE TYPE \(q) AS RANGE (\n\(parts.joined(separator: ",\n"))\n);\n"
            default:
                let attributes = try rows("""
                    SELECT pg_catalog.quote_ident(a.attname) AS q, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
                           CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0
                                THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname) FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace WHERE c.oid = a.attcollation) END AS collation
                    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
                    WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                    """, [row["typrelid"]])
                let lines = try attributes.map { "    \(try $0.get("q", as: String.self)) \(try $0.get("type", as: String.self))" + ($0["collation"].map { " COLLATE \($0)" } ?? "") }
                defn = "CREATE TYPE \(q) AS (\n\(lines.joined(separator: ",\n"))\n);\n"
                alias[Self.key(CatalogID.pgClass, row["typrelid"])] = Self.key(CatalogID.pgType, oid)
            }
            var entries = [Self.entry(name, desc, .preData, defn: defn, drop: "DROP \(desc) \(q);\n", namespace: schema, owner: owner, tableOID: "1247", oid: oid)]
            if let c = comment(row["comment"], target: "\(desc) \(q)", tag: "\(desc) \(name)", namespace: schema, owner: owner) { entries.append(c) }
            entries += domain.comments
            if let acl = try aclEntry(row["acl"], kind: "TYPE", target: q, tag: "TYPE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
            add(DumpObject(key: Self.key(CatalogID.pgType, oid), kind: .type, sortName: "\(schema).\(name)", entries: entries))
            domain.separate.forEach { add($0) }
        }
    }
}

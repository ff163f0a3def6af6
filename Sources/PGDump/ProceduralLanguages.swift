import PGWire

extension SchemaReader {
    /// Procedural languages the user created (not plpgsql, not an extension's), as pg_dump's
    /// dumpProcLang writes them: CREATE [TRUSTED] PROCEDURAL LANGUAGE with its handler, inline
    /// and validator functions, qualified; owner, comment and ACL entries as for other objects.
    /// A handler the dump does not carry (one of the system's) leaves, as in pg_dump, the bare
    /// CREATE OR REPLACE PROCEDURAL LANGUAGE, which needs the language's extension.
    mutating func readProceduralLanguages() throws {
        for row in try rows("""
            SELECT l.oid, l.lanname, pg_catalog.quote_ident(l.lanname) AS q, l.lanpltrusted,
                   pg_catalog.pg_get_userbyid(l.lanowner) AS owner, l.lanacl::text AS acl,
                   pg_catalog.acldefault('l', l.lanowner)::text AS base,
                   pg_catalog.obj_description(l.oid, 'pg_language') AS comment,
                   \(Self.dumpedFunctionName("l.lanplcallfoid")) AS handler,
                   \(Self.dumpedFunctionName("l.laninline")) AS inline, l.laninline <> 0 AS has_inline,
                   \(Self.dumpedFunctionName("l.lanvalidator")) AS validator, l.lanvalidator <> 0 AS has_validator
            FROM pg_catalog.pg_language l
            WHERE l.lanispl AND l.oid >= 16384 AND \(notExtensionMember("pg_catalog.pg_language", "l.oid"))
            ORDER BY l.lanname
            """)
        {
            let name: String = try row.get("lanname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            var defn: String
            if let handler = row["handler"], row["has_inline"] == "f" || row["inline"] != nil, row["has_validator"] == "f" || row["validator"] != nil {
                defn = "CREATE \(row["lanpltrusted"] == "t" ? "TRUSTED " : "")PROCEDURAL LANGUAGE \(q) HANDLER \(handler)"
                if let inline = row["inline"] { defn += " INLINE \(inline)" }
                if let validator = row["validator"] { defn += " VALIDATOR \(validator)" }
                defn += ";\n"
            } else {
                defn = "CREATE OR REPLACE PROCEDURAL LANGUAGE \(q);\n"
            }
            var entries = [Self.entry(name, "PROCEDURAL LANGUAGE", .preData, defn: defn, drop: "DROP PROCEDURAL LANGUAGE \(q);\n", owner: owner, tableOID: String(CatalogID.pgLanguage), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "LANGUAGE \(q)", tag: "LANGUAGE \(name)", namespace: nil, owner: owner) { entries.append(c) }
            if !options.noACL, let acl = row["acl"] {
                let sql = try pgDumpACLCommands(acl: acl, base: row["base"] ?? "{}", type: "LANGUAGE", name: q, owner: owner)
                if !sql.isEmpty { entries.append(Self.entry("LANGUAGE \(name)", "ACL", .none, defn: sql, owner: owner)) }
            }
            add(DumpObject(key: Self.key(CatalogID.pgLanguage, row["oid"]), kind: .language, sortName: name, entries: entries))
        }
    }

    /// `schema.name` of a function the dump writes itself (a user's, not an extension's), else NULL.
    static func dumpedFunctionName(_ oid: String) -> String {
        """
        (SELECT pg_catalog.quote_ident(fn.nspname) || '.' || pg_catalog.quote_ident(f.proname)
         FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
         WHERE f.oid = \(oid) AND fn.nspname NOT IN ('pg_catalog', 'information_schema')
           AND \(notExtensionMember("pg_catalog.pg_proc", "f.oid")))
        """
    }

    /// Transforms (CREATE TRANSFORM FOR type LANGUAGE lang), as pg_dump's dumpTransform writes
    /// them: no namespace, no owner, each function qualified with its argument types.
    mutating func readTransforms() throws {
        func signature(_ oid: String) -> String {
            """
            (SELECT pg_catalog.quote_ident(fn.nspname) || '.' || pg_catalog.quote_ident(f.proname) || '('
                    || COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format_type(a.t, NULL), ', ' ORDER BY a.n)
                                 FROM pg_catalog.unnest(f.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n)), '') || ')'
             FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace WHERE f.oid = \(oid))
            """
        }
        for row in try rows("""
            SELECT t.oid, pg_catalog.format_type(t.trftype, NULL) AS type, pg_catalog.quote_ident(l.lanname) AS lang,
                   \(signature("t.trffromsql")) AS fromsql, \(signature("t.trftosql")) AS tosql,
                   pg_catalog.obj_description(t.oid, 'pg_transform') AS comment
            FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
            WHERE t.oid >= 16384 AND \(notExtensionMember("pg_catalog.pg_transform", "t.oid"))
            ORDER BY t.trftype, l.lanname
            """)
        {
            let type: String = try row.get("type"), lang: String = try row.get("lang")
            var parts: [String] = []
            if let from = row["fromsql"] { parts.append("FROM SQL WITH FUNCTION \(from)") }
            if let to = row["tosql"] { parts.append("TO SQL WITH FUNCTION \(to)") }
            let label = "TRANSFORM FOR \(type) LANGUAGE \(lang)"
            let defn = "CREATE \(label) (\(parts.joined(separator: ", ")));\n"
            var entries = [Self.entry(label, "TRANSFORM", .preData, defn: defn, drop: "DROP \(label);\n", tableOID: String(CatalogID.pgTransform), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: label, tag: label, namespace: nil, owner: "") { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgTransform, row["oid"]), kind: .cast, sortName: label, entries: entries))
        }
    }
}

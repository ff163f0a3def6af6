import PGWire

// Functions, procedures and aggregates.

extension SchemaReader {
    mutating func readFunctions() throws {
        for row in try rows("""
            SELECT p.oid, p.proname, n.nspname, p.prokind,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) AS q,
                   pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity,
                   pg_catalog.pg_get_userbyid(p.proowner) AS owner, p.proacl::text AS acl,
                   pg_catalog.obj_description(p.oid, 'pg_proc') AS comment,
                   CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END AS def
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_proc", "p.oid"))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                              AND d.objid = p.oid AND d.deptype = 'i')
            ORDER BY n.nspname, p.proname, 6
            """)
        {
            let name: String = try row.get("proname"), schema: String = try row.get("nspname")
            let q: String = try row.get("q"), identity: String = try row.get("identity"), owner: String = try row.get("owner")
            let oid = row["oid"] ?? "0"
            let signature = "\(q)(\(identity))"
            let tag = "\(name)(\(identity))"
            let desc: String, kindWord: String, kind: ObjectKind
            var defn: String
            switch row["prokind"] {
            case "a":
                desc = "AGGREGATE"; kindWord = "AGGREGATE"; kind = .aggregate
                defn = try aggregateDefinition(oid: oid, signature: signature)
            case "p":
                desc = "PROCEDURE"; kindWord = "PROCEDURE"; kind = .function
                defn = (try row.get("def", as: String.self)) + ";\n"
            default:
                desc = "FUNCTION"; kindWord = "FUNCTION"; kind = .function
                defn = (try row.get("def", as: String.self)) + ";\n"
            }
            var entries = [Self.entry(tag, desc, .preData, defn: defn, drop: "DROP \(kindWord) \(signature);\n", namespace: schema, owner: owner, tableOID: "1255", oid: oid)]
            if let c = comment(row["comment"], target: "\(kindWord) \(signature)", tag: "\(kindWord) \(tag)", namespace: schema, owner: owner) { entries.append(c) }
            if let acl = try aclEntry(row["acl"], kind: kindWord == "AGGREGATE" ? "FUNCTION" : kindWord, target: signature, tag: "\(kindWord) \(tag)", namespace: schema, owner: owner) { entries.append(acl) }
            var object = DumpObject(key: Self.key(CatalogID.pgProc, oid), kind: kind, sortName: "\(schema).\(tag)", entries: entries)
            object.postponable = kind == .function
            add(object)
        }
    }

    /// CREATE AGGREGATE from pg_aggregate (the server has no deparser for it).
    func aggregateDefinition(oid: String, signature: String) throws -> String {
        let row = try rows("""
            SELECT a.aggtransfn::pg_catalog.regproc::text AS sfunc, pg_catalog.format_type(a.aggtranstype, NULL) AS stype,
                   NULLIF(a.aggfinalfn::pg_catalog.regproc::text, '-') AS finalfunc, a.aggfinalextra,
                   NULLIF(a.aggcombinefn::pg_catalog.regproc::text, '-') AS combinefunc,
                   NULLIF(a.aggserialfn::pg_catalog.regproc::text, '-') AS serialfunc,
                   NULLIF(a.aggdeserialfn::pg_catalog.regproc::text, '-') AS deserialfunc,
                   a.agginitval, NULLIF(a.aggtransspace, 0) AS sspace,
                   CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::pg_catalog.regoperator::text END AS sortop,
                   a.aggkind, p.proparallel, a.aggfinalmodify,
                   NULLIF(a.aggmtransfn::pg_catalog.regproc::text, '-') AS msfunc,
                   NULLIF(a.aggminvtransfn::pg_catalog.regproc::text, '-') AS minvfunc,
                   CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END AS mstype,
                   NULLIF(a.aggmfinalfn::pg_catalog.regproc::text, '-') AS mfinalfunc, a.aggminitval
            FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
            WHERE a.aggfnoid = $1::pg_catalog.oid
            """, [oid])[0]
        var parts = ["    SFUNC = \(try row.get("sfunc", as: String.self))", "    STYPE = \(try row.get("stype", as: String.self))"]
        if let value = row["sspace"] { parts.append("    SSPACE = \(value)") }
        if let value = row["finalfunc"] { parts.append("    FINALFUNC = \(value)") }
        if row["aggfinalextra"] == "t" { parts.append("    FINALFUNC_EXTRA") }
        if let value = row["combinefunc"] { parts.append("    COMBINEFUNC = \(value)") }
        if let value = row["serialfunc"] { parts.append("    SERIALFUNC = \(value)") }
        if let value = row["deserialfunc"] { parts.append("    DESERIALFUNC = \(value)") }
        if let value = row["agginitval"] { parts.append("    INITCOND = \(quoteLiteral(value))") }
        if let value = row["msfunc"] { parts.append("    MSFUNC = \(value)") }
        if let value = row["minvfunc"] { parts.append("    MINVFUNC = \(value)") }
        if let value = row["mstype"] { parts.append("    MSTYPE = \(value)") }
        if let value = row["mfinalfunc"] { parts.append("    MFINALFUNC = \(value)") }
        if let value = row["aggminitval"] { parts.append("    MINITCOND = \(quoteLiteral(value))") }
        if let value = row["sortop"] {
            let name = value.components(separatedBy: "(").first ?? value
            parts.append("    SORTOP = OPERATOR(\(name))")
        }
        switch row["proparallel"] {
        case "s": parts.append("    PARALLEL = safe")
        case "r": parts.append("    PARALLEL = restricted")
        default: break
        }
        if row["aggkind"] == "h" { parts.append("    HYPOTHETICAL") }
        if row["aggfinalmodify"] == "s" { parts.append("    FINALFUNC_MODIFY = SHAREABLE") }
        if row["aggfinalmodify"] == "w" { parts.append("    FINALFUNC_MODIFY = READ_WRITE") }
        var head = signature
        if row["aggkind"] != "n" {
            // Ordered-set aggregates: the identity arguments already carry ORDER BY.
            head = signature
        }
        return "CREATE AGGREGATE \(head) (\n\(parts.joined(separator: ",\n"))\n);\n"
    }
}

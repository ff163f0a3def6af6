import PGWire

extension SchemaReader {
    /// Operators, as pg_dump's dumpOpr writes them: tagged by bare name, every option the
    /// catalog holds, COMMUTATOR and NEGATOR as OPERATOR(schema.name) (CREATE OPERATOR makes a
    /// shell for one not yet there, which its own CREATE then fills).
    mutating func readOperators() throws {
        for row in try rows("""
            SELECT o.oid, o.oprname, n.nspname, pg_catalog.quote_ident(n.nspname) AS qschema, o.oprkind,
                   pg_catalog.pg_get_userbyid(o.oprowner) AS owner, pg_catalog.obj_description(o.oid, 'pg_operator') AS comment,
                   o.oprcode::pg_catalog.regprocedure::text AS function,
                   CASE WHEN o.oprleft <> 0 THEN o.oprleft::pg_catalog.regtype::text END AS lefttype,
                   CASE WHEN o.oprright <> 0 THEN o.oprright::pg_catalog.regtype::text END AS righttype,
                   (SELECT 'OPERATOR(' || pg_catalog.quote_ident(cn.nspname) || '.' || c.oprname || ')'
                    FROM pg_catalog.pg_operator c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.oprnamespace WHERE c.oid = o.oprcom) AS commutator,
                   (SELECT 'OPERATOR(' || pg_catalog.quote_ident(cn.nspname) || '.' || c.oprname || ')'
                    FROM pg_catalog.pg_operator c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.oprnamespace WHERE c.oid = o.oprnegate) AS negator,
                   o.oprcanmerge, o.oprcanhash,
                   NULLIF(o.oprrest::pg_catalog.regprocedure::text, '-') AS restrict, NULLIF(o.oprjoin::pg_catalog.regprocedure::text, '-') AS join
            FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_operator", "o.oid"))
              AND o.oprcode <> 0
            ORDER BY n.nspname, o.oprname, o.oid
            """)
        {
            let name: String = try row.get("oprname"), schema: String = try row.get("nspname"), qschema: String = try row.get("qschema")
            let owner: String = try row.get("owner")
            var details = ["    FUNCTION = \(Self.withoutArguments(try row.get("function")))"]
            if let left = row["lefttype"] { details.append("    LEFTARG = \(left)") }
            if let right = row["righttype"] { details.append("    RIGHTARG = \(right)") }
            if let commutator = row["commutator"] { details.append("    COMMUTATOR = \(commutator)") }
            if let negator = row["negator"] { details.append("    NEGATOR = \(negator)") }
            if row["oprcanmerge"] == "t" { details.append("    MERGES") }
            if row["oprcanhash"] == "t" { details.append("    HASHES") }
            if let restrict = row["restrict"] { details.append("    RESTRICT = \(Self.withoutArguments(restrict))") }
            if let join = row["join"] { details.append("    JOIN = \(Self.withoutArguments(join))") }
            let args = "\(row["lefttype"] ?? "NONE"), \(row["righttype"] ?? "NONE")"
            let defn = "CREATE OPERATOR \(qschema).\(name) (\n\(details.joined(separator: ",\n"))\n);\n"
            var entries = [Self.entry(name, "OPERATOR", .preData, defn: defn, drop: "DROP OPERATOR \(qschema).\(name) (\(args));\n", namespace: schema, owner: owner, tableOID: String(CatalogID.pgOperator), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "OPERATOR \(qschema).\(name) (\(args))", tag: "OPERATOR \(name) (\(args))", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgOperator, row["oid"]), kind: .operator, sortName: "\(schema).\(name)", entries: entries))
        }
    }

    /// A regprocedure's text up to its argument list (pg_dump's convertRegProcReference): the
    /// name alone, which regproc would print as a bare OID for an overloaded function.
    static func withoutArguments(_ procedure: String) -> String {
        var quoted = false
        for index in procedure.indices {
            let c = procedure[index]
            if c == "\"" { quoted.toggle() }
            if c == "(" && !quoted { return String(procedure[..<index]) }
        }
        return procedure
    }

    /// Operator classes, as pg_dump's dumpOpclass writes them: always with their FAMILY (which
    /// readOperatorFamilies dumps, even one the class made implicitly), then STORAGE, the
    /// operators and the support functions that belong to the class (those tied to the family
    /// alone are the family's loose members).
    mutating func readOperatorClasses() throws {
        for row in try rows("""
            SELECT c.oid, c.opcname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.opcname) AS q,
                   c.opcdefault, c.opcintype::pg_catalog.regtype::text AS intype,
                   CASE WHEN c.opckeytype <> 0 THEN c.opckeytype::pg_catalog.regtype::text END AS keytype,
                   pg_catalog.quote_ident(am.amname) AS am,
                   pg_catalog.quote_ident(fn.nspname) || '.' || pg_catalog.quote_ident(f.opfname) AS family,
                   pg_catalog.pg_get_userbyid(c.opcowner) AS owner, pg_catalog.obj_description(c.oid, 'pg_opclass') AS comment
            FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace
            JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod
            JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_opclass", "c.oid"))
            ORDER BY n.nspname, c.opcname, am.amname
            """)
        {
            let name: String = try row.get("opcname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            let am: String = try row.get("am"), owner: String = try row.get("owner"), oid = row["oid"] ?? "0"
            let key = Self.key(CatalogID.pgOpclass, oid)
            var items: [String] = []
            if let keytype = row["keytype"] { items.append("STORAGE \(keytype)") }
            for op in try rows("""
                SELECT o.oid, o.amopstrategy, o.amopopr::pg_catalog.regoperator::text AS operator,
                       (SELECT pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sf.opfname)
                        FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
                        WHERE sf.oid = o.amopsortfamily) AS sortfamily
                FROM pg_catalog.pg_amop o JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.objid = o.oid
                WHERE d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND d.refobjid = $1::pg_catalog.oid
                ORDER BY o.amopstrategy
                """, [oid]) {
                var item = "OPERATOR \(try op.get("amopstrategy", as: String.self)) \(try op.get("operator", as: String.self))"
                if let sort = op["sortfamily"] { item += " FOR ORDER BY \(sort)" }
                items.append(item)
                alias[Self.key(CatalogID.pgAmop, op["oid"])] = key
            }
            for proc in try rows("""
                SELECT p.oid, p.amprocnum, p.amproc::pg_catalog.regprocedure::text AS function,
                       p.amproclefttype::pg_catalog.regtype::text AS lefttype, p.amprocrighttype::pg_catalog.regtype::text AS righttype
                FROM pg_catalog.pg_amproc p JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.objid = p.oid
                WHERE d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND d.refobjid = $1::pg_catalog.oid
                ORDER BY p.amprocnum
                """, [oid]) {
                items.append("FUNCTION \(try proc.get("amprocnum", as: String.self)) (\(try proc.get("lefttype", as: String.self)), \(try proc.get("righttype", as: String.self))) \(try proc.get("function", as: String.self))")
                alias[Self.key(CatalogID.pgAmproc, proc["oid"])] = key
            }
            // Nothing after AS would not parse: pg_dump then says STORAGE with the input type.
            if items.isEmpty { items.append("STORAGE \(try row.get("intype", as: String.self))") }
            let defn = "CREATE OPERATOR CLASS \(q)\n    \(row["opcdefault"] == "t" ? "DEFAULT " : "")FOR TYPE \(try row.get("intype", as: String.self)) USING \(am) FAMILY \(try row.get("family", as: String.self)) AS\n    "
                + items.joined(separator: " ,\n    ") + ";\n"
            var entries = [Self.entry(name, "OPERATOR CLASS", .preData, defn: defn, drop: "DROP OPERATOR CLASS \(q) USING \(am);\n", namespace: schema, owner: owner, tableOID: String(CatalogID.pgOpclass), oid: oid)]
            if let c = comment(row["comment"], target: "OPERATOR CLASS \(q) USING \(am)", tag: "OPERATOR CLASS \(name) USING \(am)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: key, kind: .operator, sortName: "\(schema).\(name)", entries: entries))
        }
    }
}

import PGWire

extension SchemaReader {
    /// Operator families of their own (CREATE OPERATOR FAMILY), with their loose members (those
    /// ALTER OPERATOR FAMILY ... ADD put there, which depend on the family rather than on an
    /// operator class), written as pg_dump's dumpOpfamily writes them; like pg_dump, also the
    /// family CREATE OPERATOR CLASS made implicitly, which the class then names.
    mutating func readOperatorFamilies() throws {
        for row in try rows("""
            SELECT f.oid, f.opfname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(f.opfname) AS q,
                   pg_catalog.quote_ident(am.amname) AS am, pg_catalog.pg_get_userbyid(f.opfowner) AS owner,
                   pg_catalog.obj_description(f.oid, 'pg_opfamily') AS comment
            FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
            JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_opfamily", "f.oid"))
            ORDER BY n.nspname, f.opfname, am.amname
            """)
        {
            let name: String = try row.get("opfname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            let am: String = try row.get("am"), owner: String = try row.get("owner"), oid = row["oid"] ?? "0"
            let key = ObjectKey(catalog: CatalogID.pgOpfamily, oid: UInt32(oid) ?? 0)
            var members: [String] = []
            for op in try rows("""
                SELECT o.oid, o.amopstrategy, o.amopopr::pg_catalog.regoperator::text AS operator, o.amoppurpose,
                       (SELECT pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sf.opfname)
                        FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
                        WHERE sf.oid = o.amopsortfamily) AS sortfamily
                FROM pg_catalog.pg_amop o JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.objid = o.oid
                WHERE d.refclassid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND d.refobjid = $1::pg_catalog.oid AND o.amopfamily = $1::pg_catalog.oid
                ORDER BY o.amopstrategy, o.oid
                """, [oid]) {
                var member = "OPERATOR \(try op.get("amopstrategy", as: String.self)) \(try op.get("operator", as: String.self))"
                if op["amoppurpose"] == "o", let sort = op["sortfamily"] { member += " FOR ORDER BY \(sort)" }
                members.append(member)
                alias[ObjectKey(catalog: CatalogID.pgAmop, oid: UInt32(op["oid"] ?? "0") ?? 0)] = key
            }
            for proc in try rows("""
                SELECT p.oid, p.amprocnum, p.amproc::pg_catalog.regprocedure::text AS function,
                       pg_catalog.format_type(p.amproclefttype, NULL) AS lefttype, pg_catalog.format_type(p.amprocrighttype, NULL) AS righttype
                FROM pg_catalog.pg_amproc p JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.objid = p.oid
                WHERE d.refclassid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND d.refobjid = $1::pg_catalog.oid AND p.amprocfamily = $1::pg_catalog.oid
                ORDER BY p.amprocnum, p.oid
                """, [oid]) {
                members.append("FUNCTION \(try proc.get("amprocnum", as: String.self)) (\(try proc.get("lefttype", as: String.self)), \(try proc.get("righttype", as: String.self))) \(try proc.get("function", as: String.self))")
                alias[ObjectKey(catalog: CatalogID.pgAmproc, oid: UInt32(proc["oid"] ?? "0") ?? 0)] = key
            }
            var defn = "CREATE OPERATOR FAMILY \(q) USING \(am);\n"
            if !members.isEmpty {
                defn += "ALTER OPERATOR FAMILY \(q) USING \(am) ADD\n    " + members.joined(separator: " ,\n    ") + ";\n"
            }
            var entries = [Self.entry(name, "OPERATOR FAMILY", .preData, defn: defn, drop: "DROP OPERATOR FAMILY \(q) USING \(am);\n", namespace: schema, owner: owner, tableOID: String(CatalogID.pgOpfamily), oid: oid)]
            if let c = comment(row["comment"], target: "OPERATOR FAMILY \(q) USING \(am)", tag: "OPERATOR FAMILY \(name) USING \(am)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: key, kind: .aggregate, sortName: "\(schema).\(name)", entries: entries))
        }
    }
}

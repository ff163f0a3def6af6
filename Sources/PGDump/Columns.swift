import PGWire

// Columns of relations and their defaults.

extension SchemaReader {
    func readColumns(_ oids: [String]) throws -> [String: [ColumnRow]] {
        var byTable: [String: [ColumnRow]] = [:]
        for row in try rows("""
            SELECT a.attrelid, a.attname, pg_catalog.quote_ident(a.attname) AS q,
                   pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attislocal,
                   CASE WHEN a.attgenerated = 's' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END AS generated,
                   NULLIF(a.attidentity, '') AS identity,
                   CASE WHEN a.attidentity <> '' THEN
                       (SELECT pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sc.relname)
                        FROM pg_catalog.pg_depend dd JOIN pg_catalog.pg_class sc ON sc.oid = dd.objid JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
                        WHERE dd.refobjid = a.attrelid AND dd.refobjsubid = a.attnum AND dd.deptype = 'i' AND dd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass) END AS identity_seq,
                   CASE WHEN a.attidentity <> '' THEN
                       (SELECT '    START WITH ' || s.seqstart || E'\\n    INCREMENT BY ' || s.seqincrement
                               || E'\\n    MINVALUE ' || s.seqmin || E'\\n    MAXVALUE ' || s.seqmax || E'\\n    CACHE ' || s.seqcache
                               || CASE WHEN s.seqcycle THEN E'\\n    CYCLE' ELSE '' END
                        FROM pg_catalog.pg_depend dd JOIN pg_catalog.pg_sequence s ON s.seqrelid = dd.objid
                        WHERE dd.refobjid = a.attrelid AND dd.refobjsubid = a.attnum AND dd.deptype = 'i' AND dd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass) END AS identity_options,
                   CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                        THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
                   pg_catalog.col_description(a.attrelid, a.attnum) AS comment, a.attacl::text AS attacl,
                   CASE WHEN COALESCE(a.attstattarget, -1) >= 0 THEN a.attstattarget END AS stattarget,
                   CASE WHEN a.attstorage <> t.typstorage THEN CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' WHEN 'x' THEN 'EXTENDED' END END AS storage,
                   pg_catalog.array_to_string(a.attoptions, ', ') AS attoptions,
                   CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS compression,
                   \(foreignOptionsSQL("a.attfdwoptions")) AS fdwoptions,
                   (SELECT co.conname FROM pg_catalog.pg_constraint co WHERE co.conrelid = a.attrelid AND co.contype = 'n'
                     AND co.conkey[1] = a.attnum LIMIT 1) AS nn_name,
                   (SELECT bool_or(pa.attnotnull) FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
                    WHERE i.inhrelid = a.attrelid) AS parent_notnull,
                   (SELECT pg_catalog.min(pg_catalog.pg_get_expr(pd.adbin, pd.adrelid)) FROM pg_catalog.pg_inherits i
                    JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname AND pa.attgenerated = 's'
                    JOIN pg_catalog.pg_attrdef pd ON pd.adrelid = pa.attrelid AND pd.adnum = pa.attnum
                    WHERE i.inhrelid = a.attrelid AND a.attgenerated = 's') AS parent_generated
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
            WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attrelid, a.attnum
            """, ["{" + oids.joined(separator: ",") + "}"])
        {
            let column = try ColumnRow(row)
            byTable[column.tableOID, default: []].append(column)
        }
        return byTable
    }

    mutating func readDefaults() throws {
        try readIdentitySequenceValues()
        for row in try rows("""
            SELECT d.oid, d.adrelid, c.relname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   a.attname, pg_catalog.quote_ident(a.attname) AS qcol, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS expr,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relispartition, a.attislocal
            FROM pg_catalog.pg_attrdef d
            JOIN pg_catalog.pg_class c ON c.oid = d.adrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE a.attgenerated = '' AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'f') AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, a.attnum
            """)
        {
            let q: String = try row.get("q"), qcol: String = try row.get("qcol")
            let tableKey = Self.key(CatalogID.pgClass, row["adrelid"])
            var object = DumpObject(
                key: Self.key(CatalogID.pgAttrdef, row["oid"]), kind: .columnDefault,
                sortName: "\(row["nspname"] ?? "").\(row["relname"] ?? "").\(row["attname"] ?? "")",
                entries: [Self.entry(
                    "\(row["relname"] ?? "") \(row["attname"] ?? "")", "DEFAULT", .preData,
                    defn: "ALTER TABLE ONLY \(q) ALTER COLUMN \(qcol) SET DEFAULT \(try row.get("expr", as: String.self));\n",
                    drop: "ALTER TABLE \(q) ALTER COLUMN \(qcol) DROP DEFAULT;\n",
                    namespace: row["nspname"], owner: row["owner"], tableOID: "2604", oid: row["oid"] ?? "0")])
            object.dependencies = [tableKey]
            add(object)
        }
    }
}

import PGWire

// Tables, partitions, foreign tables, views and materialized views (sequences: Sequences.swift).

extension SchemaReader {
    mutating func readRelations() throws {
        let relations = try rows("""
            SELECT c.oid, c.relname, n.nspname, c.relkind, c.relpersistence, c.relispartition,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.quote_ident(n.nspname) AS qschema,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl,
                   pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
                   pg_catalog.array_to_string(c.reloptions, ', ') AS options,
                   c.relrowsecurity, c.relforcerowsecurity, c.relreplident, c.relispopulated,
                   CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
                   CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partbound,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname), ', ' ORDER BY i.inhseqno)
                    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                    WHERE i.inhrelid = c.oid) AS parents,
                   (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition) AS parent_oid,
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
                   (SELECT pg_catalog.quote_ident(fs.srvname) FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver
                    WHERE ft.ftrelid = c.oid) AS foreign_server,
                   (SELECT \(foreignOptionsSQL("ft.ftoptions")) FROM pg_catalog.pg_foreign_table ft WHERE ft.ftrelid = c.oid) AS foreign_options,
                   CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END AS oftype,
                   (SELECT a.amname FROM pg_catalog.pg_am a WHERE a.oid = c.relam) AS amname,
                   \(Self.tablespaceName("c.reltablespace")) AS tablespace
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                              AND d.objid = c.oid AND d.objsubid = 0 AND d.refobjid <> c.oid AND d.deptype = 'i')
            ORDER BY n.nspname, c.relname
            """)
        let relationRows = try relations.map(RelationRow.init).map { row in
            var row = row
            if options.noTablespaces { row.tablespace = nil }
            return row
        }
        let tableOIDs = relationRows.filter { ["r", "p", "f"].contains($0.relkind) }.map(\.oid)
        let columns = try readColumns(tableOIDs + relationRows.filter { ["v", "m"].contains($0.relkind) }.map(\.oid))
        let checks = try rows("""
            SELECT co.conrelid, pg_catalog.quote_ident(co.conname) AS q, pg_catalog.pg_get_constraintdef(co.oid) AS def, co.conname,
                   pg_catalog.obj_description(co.oid, 'pg_constraint') AS comment
            FROM pg_catalog.pg_constraint co
            WHERE co.conrelid = ANY($1::pg_catalog.oid[]) AND co.contype = 'c' AND co.convalidated
              AND (co.conislocal OR EXISTS (SELECT 1 FROM pg_catalog.pg_class pc WHERE pc.oid = co.conrelid AND pc.relispartition))
            ORDER BY co.conname
            """, ["{" + tableOIDs.joined(separator: ",") + "}"]).map(CheckRow.init)

        for relation in relationRows {
            let oid = relation.oid, name = relation.name, schema = relation.schema, q = relation.q, owner = relation.owner
            let key = relation.key
            let cols = columns[oid] ?? []
            switch relation.relkind {
            case "S":
                try readSequence(relation)
                continue
            case "v", "m":
                let materialized = relation.relkind == "m"
                var entries = [Self.viewEntry(relation, columns: cols)]
                entries += columnCommentsAndACLs(relation, columns: cols, kindWord: materialized ? "MATERIALIZED VIEW" : "VIEW")
                if let acl = try aclEntry(relation.acl, kind: "TABLE", target: q, tag: "TABLE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
                entries += try columnACLs(cols, q: q, name: name, schema: schema, owner: owner)
                var object = DumpObject(key: key, kind: .view, sortName: "\(schema).\(name)", entries: entries)
                object.postponable = true
                add(object)
                if let data = Self.materializedViewData(relation) { add(data) }
                continue
            default:
                break
            }
            // Tables, partitioned tables, partitions, inheritance children.
            let tableChecks = checks.filter { $0.tableOID == oid }
            if let attach = Self.tableAttach(relation) { add(attach) }
            var entries = [Self.tableEntry(relation, columns: cols, checks: tableChecks)]
            entries += columnCommentsAndACLs(relation, columns: cols, kindWord: relation.relkind == "f" ? "FOREIGN TABLE" : "TABLE")
            for check in tableChecks {
                if let c = comment(check.comment, target: "CONSTRAINT \(check.q) ON \(q)", tag: "CONSTRAINT \(check.name) ON \(name)", namespace: schema, owner: owner) { entries.append(c) }
            }
            if let acl = try aclEntry(relation.acl, kind: "TABLE", target: q, tag: "TABLE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
            entries += try columnACLs(cols, q: q, name: name, schema: schema, owner: owner)
            add(DumpObject(key: key, kind: .table, sortName: "\(schema).\(name)", entries: entries))
            // Its rows (a partitioned table has none of its own).
            if let data = Self.tableData(relation, columns: cols) { add(data) }
        }
    }
}

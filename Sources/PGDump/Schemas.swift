import PGWire

// Schemas and extensions.

extension SchemaReader {
    mutating func readSchemas() throws {
        for row in try rows("""
            SELECT n.oid, n.nspname, pg_catalog.quote_ident(n.nspname) AS q, pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
                   pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment, n.nspacl::text AS acl,
                   (SELECT i.initprivs::text FROM pg_catalog.pg_init_privs i
                     WHERE i.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND i.objoid = n.oid) AS initacl
            FROM pg_catalog.pg_namespace n
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_namespace", "n.oid"))
            ORDER BY n.nspname
            """)
        {
            let name: String = try row.get("nspname"), quoted: String = try row.get("q"), owner: String = try row.get("owner")
            let key = Self.key(CatalogID.pgNamespace, row["oid"])
            var entries: [TOCEntry] = []
            if name == "public" {
                // initdb creates it: only its owner, comment and privileges can differ.
                let customOwner = owner != "pg_database_owner"
                // No comment at all is custom too: the restored database's public schema has the standard one.
                let customComment = row["comment"] != "standard public schema" && !options.noComments
                let customACL = row["acl"] != row["initacl"]
                guard customOwner || customComment || customACL else { continue }
                entries.append(Self.entry(
                    name, "SCHEMA", .preData, defn: "-- *not* creating schema, since initdb creates it\n",
                    drop: "DROP SCHEMA \(quoted);\n", owner: customOwner ? owner : "", tableOID: "2615", oid: row["oid"] ?? "0"))
                if customComment, let c = comment(row["comment"] ?? "", target: "SCHEMA \(quoted)", tag: "SCHEMA \(name)", namespace: nil, owner: owner) { entries.append(c) }
                if customACL, let acl = try aclEntry(row["acl"] ?? "{}", kind: "SCHEMA", target: quoted, tag: "SCHEMA \(name)", namespace: nil, owner: owner, resetExtra: ["pg_database_owner"]) {
                    entries.append(acl)
                }
            } else {
                entries.append(Self.entry(
                    name, "SCHEMA", .preData, defn: "CREATE SCHEMA \(quoted);\n", drop: "DROP SCHEMA \(quoted);\n",
                    owner: owner, tableOID: "2615", oid: row["oid"] ?? "0"))
                if let c = comment(row["comment"], target: "SCHEMA \(quoted)", tag: "SCHEMA \(name)", namespace: nil, owner: owner) { entries.append(c) }
                if let acl = try aclEntry(row["acl"], kind: "SCHEMA", target: quoted, tag: "SCHEMA \(name)", namespace: nil, owner: owner) { entries.append(acl) }
            }
            add(DumpObject(key: key, kind: .schema, sortName: name, entries: entries))
        }
    }

    mutating func readExtensions() throws {
        for row in try rows("""
            SELECT e.oid, e.extname, pg_catalog.quote_ident(e.extname) AS q, pg_catalog.quote_ident(n.nspname) AS schema,
                   pg_catalog.obj_description(e.oid, 'pg_extension') AS comment
            FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname <> 'plpgsql' ORDER BY e.extname
            """)
        {
            let name: String = try row.get("extname"), quoted: String = try row.get("q")
            var entries = [Self.entry(
                name, "EXTENSION", .preData,
                defn: "CREATE EXTENSION IF NOT EXISTS \(quoted) WITH SCHEMA \(try row.get("schema", as: String.self));\n",
                drop: "DROP EXTENSION \(quoted);\n", tableOID: "3079", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "EXTENSION \(quoted)", tag: "EXTENSION \(name)", namespace: nil, owner: nil) { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgExtension, row["oid"]), kind: .extension, sortName: name, entries: entries))
        }
    }
}

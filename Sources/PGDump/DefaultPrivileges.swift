import PGWire

extension SchemaReader {
    /// ALTER DEFAULT PRIVILEGES, one "DEFAULT ACL" entry per pg_default_acl row, written as
    /// pg_dump's dumpDefaultACL writes them: post-data, tagged "DEFAULT PRIVILEGES FOR
    /// <TYPES>", in the schema's namespace (none for a global entry), owned by the role whose
    /// defaults they are, and as deltas: a global entry replaces the built-in defaults
    /// (acldefault), so it is written against them (revoking what it took away); an entry for
    /// one schema can only add, so it is written against nothing.
    mutating func readDefaultPrivileges() throws {
        guard !options.noACL else { return }
        for row in try rows("""
            SELECT d.oid, d.defaclobjtype, pg_catalog.pg_get_userbyid(d.defaclrole) AS owner,
                   pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(d.defaclrole)) AS qowner,
                   CASE WHEN d.defaclnamespace <> 0 THEN (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = d.defaclnamespace) END AS nspname,
                   d.defaclacl::text AS acl,
                   CASE WHEN d.defaclnamespace = 0
                        THEN pg_catalog.acldefault(CASE WHEN d.defaclobjtype = 'S' THEN 's'::"char" ELSE d.defaclobjtype END, d.defaclrole)::text
                        ELSE '{}' END AS base
            FROM pg_catalog.pg_default_acl d
            WHERE d.defaclnamespace = 0 OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.oid = d.defaclnamespace AND \(userNamespaceFilter))
            ORDER BY d.defaclrole, d.defaclnamespace, d.defaclobjtype
            """)
        {
            let type: String
            switch row["defaclobjtype"] {
            case "r": type = "TABLES"
            case "S": type = "SEQUENCES"
            case "f": type = "FUNCTIONS"
            case "T": type = "TYPES"
            case "n": type = "SCHEMAS"
            default: continue
            }
            let owner: String = try row.get("owner")
            // pg_dump quotes names only where needed (fmtId), as quote_ident does.
            var prefix = "ALTER DEFAULT PRIVILEGES FOR ROLE \(try row.get("qowner", as: String.self)) "
            if let schema = row["nspname"] { prefix += "IN SCHEMA \(try fmtId(schema)) " }
            let sql = try pgDumpACLCommands(
                acl: row["acl"] ?? "{}", base: row["base"] ?? "{}", type: type, name: "", owner: owner, prefix: prefix)
            guard !sql.isEmpty else { continue }
            add(DumpObject(
                key: Self.key(CatalogID.pgDefaultACL, row["oid"]), kind: .defaultACL,
                sortName: "\(row["nspname"] ?? "").\(type).\(owner)",
                entries: [Self.entry("DEFAULT PRIVILEGES FOR \(type)", "DEFAULT ACL", .postData, defn: sql, namespace: row["nspname"], owner: owner, tableOID: String(CatalogID.pgDefaultACL), oid: row["oid"] ?? "0")]))
        }
    }

    /// GRANT and REVOKE statements that turn `base` into `acl` (both aclitem[] text), as
    /// pg_dump's buildACLCommands writes them: a REVOKE for each item of the base missing from
    /// the ACL, then a GRANT for each item of the ACL missing from the base, "ALL" when an
    /// item holds every privilege of the kind, and the grantor's session around a grant it
    /// made when it is not the owner. `name` is empty for default privileges; `column` names a
    /// column of table `name` ("SELECT(col)", "ALL(col)").
    func pgDumpACLCommands(acl: String, base: String, type: String, name: String, owner: String, prefix: String = "", column: String? = nil) throws -> String {
        let items = try rows("""
            SELECT x.src, x.n, x.item::text AS item,
                   CASE WHEN a.grantor = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantor) END AS grantor,
                   CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee,
                   pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantor)) AS qgrantor,
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS qgrantee,
                   a.privilege_type, a.is_grantable
            FROM (SELECT 'acl' AS src, u.item, u.n FROM pg_catalog.unnest($1::pg_catalog.aclitem[]) WITH ORDINALITY AS u(item, n)
                  UNION ALL
                  SELECT 'base', u.item, u.n FROM pg_catalog.unnest($2::pg_catalog.aclitem[]) WITH ORDINALITY AS u(item, n)) x
            CROSS JOIN LATERAL pg_catalog.aclexplode(ARRAY[x.item]) AS a
            ORDER BY x.src, x.n
            """, [acl, base])
        struct Item {
            var text: String, grantor: String, grantee: String, qgrantor: String, qgrantee: String
            var plain: Set<String> = [], withGrant: Set<String> = []
        }
        func collect(_ source: String) -> [Item] {
            var list: [Item] = []
            for row in items where row["src"] == source {
                let text = row["item"] ?? ""
                if list.last?.text != text || list.last?.grantee != row["grantee"] {
                    list.append(Item(text: text, grantor: row["grantor"] ?? "", grantee: row["grantee"] ?? "", qgrantor: row["qgrantor"] ?? "", qgrantee: row["qgrantee"] ?? "PUBLIC"))
                }
                let privilege = row["privilege_type"] ?? ""
                if row["is_grantable"] == "t" { list[list.count - 1].withGrant.insert(privilege) } else { list[list.count - 1].plain.insert(privilege) }
            }
            return list
        }
        let current = collect("acl"), initial = collect("base")
        let order = column == nil
            ? Self.privilegeOrder(type, serverVersion: connection.serverVersionNumber)
            : ["SELECT", "INSERT", "REFERENCES", "UPDATE"]
        let suffix = column.map { "(\($0))" } ?? ""
        func words(_ set: Set<String>, all: Bool) -> String {
            all ? "ALL" + suffix : order.filter { set.contains($0) }.map { $0 + suffix }.joined(separator: ",")
        }
        // "ON TABLES  TO": pg_dump 15 leaves the empty name's two spaces; 16 and later one.
        let on = name.isEmpty ? "ON \(type) " + (connection.serverVersionNumber < 160000 ? " " : "") : "ON \(type) \(name) "
        var revokes = "", ownerGrants = "", grants = ""
        for item in initial where !current.contains(where: { $0.text == item.text }) {
            let privileges = item.plain.union(item.withGrant)
            guard !privileges.isEmpty else { continue }
            revokes += "\(prefix)REVOKE \(words(privileges, all: Set(order) == privileges)) \(on)FROM \(item.qgrantee);\n"
        }
        for item in current where !initial.contains(where: { $0.text == item.text }) {
            let allPlain = Set(order) == item.plain, allGrant = Set(order) == item.withGrant
            var sql = ""
            if !item.plain.isEmpty && !allGrant {
                sql += "\(prefix)GRANT \(words(item.plain, all: allPlain)) \(on)TO \(item.qgrantee);\n"
            }
            if !item.withGrant.isEmpty && !allPlain {
                sql += "\(prefix)GRANT \(words(item.withGrant, all: allGrant)) \(on)TO \(item.qgrantee) WITH GRANT OPTION;\n"
            }
            // The owner's own privileges come first (right after the revokes); a grant made
            // by another role is made in its session.
            if item.grantee == owner && (item.grantor.isEmpty || item.grantor == owner) {
                ownerGrants += sql
            } else if !item.grantor.isEmpty && item.grantor != owner {
                grants += "SET SESSION AUTHORIZATION \(item.qgrantor);\n" + sql + "RESET SESSION AUTHORIZATION;\n"
            } else {
                grants += sql
            }
        }
        let sql = revokes + ownerGrants + grants
        return sql
    }

    /// An identifier quoted only where needed, as pg_dump's fmtId and the server's quote_ident do.
    func fmtId(_ name: String) throws -> String {
        try rows("SELECT pg_catalog.quote_ident($1)", [name])[0].get(0)
    }

    /// The privileges of each kind of object, in the order pg_dump's parseAclItem lists them.
    /// (MAINTAIN exists from PostgreSQL 17.)
    static func privilegeOrder(_ type: String, serverVersion: Int) -> [String] {
        switch type {
        case "TABLE", "TABLES":
            return ["SELECT", "INSERT", "REFERENCES", "DELETE", "TRIGGER", "TRUNCATE", "MAINTAIN", "UPDATE"].filter { $0 != "MAINTAIN" || serverVersion >= 170000 }
        case "SEQUENCE", "SEQUENCES": return ["SELECT", "USAGE", "UPDATE"]
        case "FUNCTION", "FUNCTIONS", "PROCEDURE", "PROCEDURES": return ["EXECUTE"]
        case "SCHEMA", "SCHEMAS": return ["CREATE", "USAGE"]
        case "DATABASE": return ["CREATE", "CONNECT", "TEMPORARY"]
        case "LARGE OBJECT": return ["SELECT", "UPDATE"]
        default: return ["USAGE"]
        }
    }
}

import PGWire

// Comments and GRANTs of objects and of their columns.

extension SchemaReader {
    func comment(_ text: String?, target: String, tag: String, namespace: String?, owner: String?) -> TOCEntry? {
        guard let text, !options.noComments else { return nil }
        return Self.entry(tag, "COMMENT", .none, defn: "COMMENT ON \(target) IS \(quoteLiteral(text));\n", namespace: namespace, owner: owner)
    }

    /// GRANT statements that rebuild `acl` on `target` exactly (same items, same order): reset
    /// to nothing, then grant item by item. nil when the ACL is the default (NULL).
    func aclEntry(
        _ acl: String?, kind: String, target: String, tag: String, namespace: String?, owner: String,
        column: String? = nil, resetExtra: [String] = []
    ) throws -> TOCEntry? {
        guard let acl, !options.noACL else { return nil }
        let items = try rows("""
            SELECT CASE WHEN a.grantor = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantor) END AS grantor,
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee,
                   a.privilege_type, a.is_grantable
            FROM pg_catalog.aclexplode($1::pg_catalog.aclitem[]) WITH ORDINALITY AS a(grantor, grantee, privilege_type, is_grantable, n)
            ORDER BY n
            """, [acl])
        let columnPart = column.map { " (\($0))" } ?? ""
        var sql = ""
        if column == nil {
            for role in ["PUBLIC", quoteIdentifier(owner)] + resetExtra {
                sql += "REVOKE ALL ON \(kind) \(target) FROM \(role);\n"
            }
        }
        // Consecutive items of one grantee and grantor become one GRANT, as aclitem stores them.
        var index = 0
        while index < items.count {
            let grantee = items[index]["grantee"] ?? "PUBLIC"
            let grantor = items[index]["grantor"]
            var plain: [String] = []
            var withGrant: [String] = []
            while index < items.count, items[index]["grantee"] == grantee, items[index]["grantor"] == grantor {
                let privilege = items[index]["privilege_type"] ?? ""
                if items[index]["is_grantable"] == "t" { withGrant.append(privilege) } else { plain.append(privilege) }
                index += 1
            }
            let setRole = grantor.map { $0 != owner } ?? false
            if setRole, let grantor { sql += "SET SESSION AUTHORIZATION \(quoteIdentifier(grantor));\n" }
            if !plain.isEmpty {
                sql += "GRANT \(plain.map { $0 + columnPart }.joined(separator: ",")) ON \(kind) \(target) TO \(grantee);\n"
            }
            if !withGrant.isEmpty {
                sql += "GRANT \(withGrant.map { $0 + columnPart }.joined(separator: ",")) ON \(kind) \(target) TO \(grantee) WITH GRANT OPTION;\n"
            }
            if setRole { sql += "RESET SESSION AUTHORIZATION;\n" }
        }
        if column == nil && items.isEmpty && sql.isEmpty { return nil }
        return Self.entry(tag, "ACL", .none, defn: sql, namespace: namespace, owner: owner)
    }

    /// The relation's comment and its columns' comments.
    func columnCommentsAndACLs(_ relation: RelationRow, columns: [ColumnRow], kindWord: String) -> [TOCEntry] {
        let schema = relation.schema, q = relation.q, name = relation.name, owner = relation.owner
        var entries: [TOCEntry] = []
        if let c = comment(relation.comment, target: "\(kindWord) \(q)", tag: "\(kindWord) \(name)", namespace: schema, owner: owner) { entries.append(c) }
        for column in columns {
            if let text = column.comment,
               let c = comment(text, target: "COLUMN \(q).\(column.q)", tag: "COLUMN \(name).\(column.name)", namespace: schema, owner: owner) {
                entries.append(c)
            }
        }
        return entries
    }

    func columnACLs(_ columns: [ColumnRow], q: String, name: String, schema: String, owner: String) throws -> [TOCEntry] {
        var entries: [TOCEntry] = []
        for column in columns {
            guard let acl = column.acl else { continue }
            if let entry = try aclEntry(acl, kind: "TABLE", target: q, tag: "COLUMN \(name).\(column.name)", namespace: schema, owner: owner, column: column.q) {
                entries.append(entry)
            }
        }
        return entries
    }
}

import PGWire

extension SchemaReader {
    /// Base types (CREATE TYPE with INPUT/OUTPUT functions), as pg_dump's dumpBaseType and
    /// dumpShellType write them: a "SHELL TYPE" entry first, which the I/O functions (taking or
    /// returning the type) follow, then the full CREATE TYPE with every option that differs
    /// from CREATE TYPE's defaults. Array types made implicitly are left to CREATE TYPE.
    mutating func readBaseTypes() throws {
        func procedure(_ column: String) -> String {
            "NULLIF(t.\(column)::pg_catalog.regprocedure::text, '-') AS \(column)"
        }
        for row in try rows("""
            SELECT t.oid, t.typname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname) AS q,
                   pg_catalog.pg_get_userbyid(t.typowner) AS owner, t.typacl::text AS acl,
                   pg_catalog.obj_description(t.oid, 'pg_type') AS comment,
                   t.typlen, \(procedure("typinput")), \(procedure("typoutput")), \(procedure("typreceive")), \(procedure("typsend")),
                   \(procedure("typmodin")), \(procedure("typmodout")), \(procedure("typanalyze")), \(procedure("typsubscript")),
                   t.typcollation <> 0 AS collatable, t.typdefault,
                   CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END AS element,
                   t.typcategory, t.typispreferred, t.typdelim, t.typalign, t.typstorage, t.typbyval
            FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            WHERE t.typtype = 'b' AND t.typisdefined AND \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_type", "t.oid"))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
            ORDER BY n.nspname, t.typname
            """)
        {
            let name: String = try row.get("typname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            let owner: String = try row.get("owner"), oid = row["oid"] ?? "0"
            let length: String = try row.get("typlen")
            var parts = ["    INTERNALLENGTH = \(length == "-1" ? "variable" : length)"]
            let functions = [("INPUT", "typinput"), ("OUTPUT", "typoutput"), ("RECEIVE", "typreceive"), ("SEND", "typsend"),
                             ("TYPMOD_IN", "typmodin"), ("TYPMOD_OUT", "typmodout"), ("ANALYZE", "typanalyze"), ("SUBSCRIPT", "typsubscript")]
            for (option, column) in functions {
                if let function = row[column] { parts.append("    \(option) = \(Self.withoutArguments(function))") }
            }
            if row["collatable"] == "t" { parts.append("    COLLATABLE = true") }
            if let value = row["typdefault"] { parts.append("    DEFAULT = \(quoteLiteral(value))") }
            if let element = row["element"] { parts.append("    ELEMENT = \(element)") }
            if let category = row["typcategory"], category != "U" { parts.append("    CATEGORY = \(quoteLiteral(category))") }
            if row["typispreferred"] == "t" { parts.append("    PREFERRED = true") }
            if let delimiter = row["typdelim"], delimiter != "," { parts.append("    DELIMITER = \(quoteLiteral(delimiter))") }
            let alignments = ["c": "char", "s": "int2", "i": "int4", "d": "double"]
            let storages = ["p": "plain", "e": "external", "x": "extended", "m": "main"]
            parts.append("    ALIGNMENT = \(alignments[row["typalign"] ?? "i"] ?? "int4")")
            parts.append("    STORAGE = \(storages[row["typstorage"] ?? "p"] ?? "plain")")
            if row["typbyval"] == "t" { parts.append("    PASSEDBYVALUE") }

            let key = Self.key(CatalogID.pgType, oid)
            add(DumpObject(
                key: Self.shellKey(of: key), kind: .type, sortName: "\(schema).\(name)",
                entries: [Self.entry(name, "SHELL TYPE", .preData, defn: "CREATE TYPE \(q);\n", namespace: schema, owner: owner)]))
            var entries = [Self.entry(name, "TYPE", .preData, defn: "CREATE TYPE \(q) (\n\(parts.joined(separator: ",\n"))\n);\n", drop: "DROP TYPE \(q) CASCADE;\n", namespace: schema, owner: owner, tableOID: String(CatalogID.pgType), oid: oid)]
            if let c = comment(row["comment"], target: "TYPE \(q)", tag: "TYPE \(name)", namespace: schema, owner: owner) { entries.append(c) }
            if let acl = try aclEntry(row["acl"], kind: "TYPE", target: q, tag: "TYPE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
            var object = DumpObject(key: key, kind: .type, sortName: "\(schema).\(name)", entries: entries)
            object.dependencies = [Self.shellKey(of: key)]
            add(object)
        }
    }

    static func shellKey(of type: ObjectKey) -> ObjectKey { ObjectKey(catalog: 8, oid: type.oid) }

    /// A base type needs its I/O functions and they name the type: each function the type
    /// needs that needs the type needs its shell instead (pg_dump_sort's repairTypeFuncLoop).
    mutating func routeIOFunctionsThroughShellTypes() {
        var index: [ObjectKey: Int] = [:]
        for (i, object) in objects.enumerated() { index[object.key] = i }
        for object in objects where object.kind == .type {
            let shell = Self.shellKey(of: object.key)
            guard object.key.catalog == CatalogID.pgType, index[shell] != nil else { continue }
            for dependency in object.dependencies {
                guard let i = index[dependency], objects[i].kind == .function, objects[i].dependencies.contains(object.key) else { continue }
                objects[i].dependencies.remove(object.key)
                objects[i].dependencies.insert(shell)
            }
        }
    }
}

import PGWire

/// Reads every dumpable object from the catalog, inside the dump's snapshot, and turns it into
/// `DumpObject`s with the DDL the server's own deparsers produce where they exist
/// (pg_get_functiondef, pg_get_viewdef, pg_get_indexdef, pg_get_constraintdef,
/// pg_get_triggerdef, pg_get_ruledef, pg_get_expr, pg_get_partkeydef, format_type, ...).
/// Runs with search_path = '' so every name they print is qualified.
struct SchemaReader {
    let connection: Connection
    let options: DumpOptions

    var objects: [DumpObject] = []
    /// Which object a dependency on a sub-object (a column, a view's rule, a rowtype) means.
    var alias: [ObjectKey: ObjectKey] = [:]
    /// Large objects whose content goes into the BLOBS block.
    var largeObjects: [UInt32] = []
    /// Lone ACL entries for objects the dump does not create (see readSystemPrivileges):
    /// they go after everything else, as they depend on nothing in the dump.
    var trailingObjects: [DumpObject] = []
    private var encoding = "UTF8"

    init(connection: Connection, options: DumpOptions) {
        self.connection = connection
        self.options = options
    }

    // MARK: - Helpers

    func rows(_ sql: String, _ parameters: [PGEncodable?] = []) throws -> [Row] {
        try connection.query(sql, parameters).rows
    }

    static func key(_ catalog: UInt32, _ oid: String?) -> ObjectKey {
        ObjectKey(catalog: catalog, oid: UInt32(oid ?? "0") ?? 0)
    }

    static func entry(
        _ tag: String, _ desc: String, _ section: DumpSection, defn: String?, drop: String? = nil,
        namespace: String? = nil, owner: String? = nil, tableOID: String = "0", oid: String = "0",
        tablespace: String? = nil, tableAM: String? = nil
    ) -> TOCEntry {
        var entry = TOCEntry(dumpId: 0, tag: tag, desc: desc, section: section)
        entry.defn = defn
        entry.dropStmt = drop
        entry.namespace = namespace
        entry.owner = owner
        entry.tableOID = tableOID
        entry.oid = oid
        entry.tablespace = tablespace
        entry.tableAM = tableAM
        return entry
    }

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

    mutating func add(_ object: DumpObject) {
        objects.append(object)
    }

    // MARK: - Reading

    mutating func read() throws {
        encoding = try rows("SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()")[0].get(0)
        try readFixed()
        try readDatabaseProperties()
        try readSchemas()
        try readExtensions()
        try readCollations()
        try readProceduralLanguages()
        try readTransforms()
        try readAccessMethods()
        try readConversions()
        try readTextSearchParsersAndTemplates()
        try readTextSearch()
        try readTypes()
        try readBaseTypes()
        try readFunctions()
        try readOperators()
        try readOperatorFamilies()
        try readForeignData()
        try readOperatorClasses()
        try readCasts()
        try readRelations()
        try readDefaults()
        try readExtensionConfigData()
        try readConstraints()
        try readIndexes()
        try readTriggers()
        try readPartitionTriggerStates()
        try readRules()
        try readPolicies()
        try readStatistics()
        try readPublications()
        try readSubscriptions()
        try readEventTriggers()
        try readDefaultPrivileges()
        try readSystemPrivileges()
        largeObjects = try readLargeObjects()
        try readDependencies()
        routeIOFunctionsThroughShellTypes()
        orderDomainChecksAfterData()
    }

    private mutating func readFixed() throws {
        let fixed: [(String, String)] = [
            ("ENCODING", "SET client_encoding = '\(encoding)';\n"),
            ("STDSTRINGS", "SET standard_conforming_strings = 'on';\n"),
            ("SEARCHPATH", "SELECT pg_catalog.set_config('search_path', '', false);\n"),
        ]
        for (n, (tag, defn)) in fixed.enumerated() {
            add(DumpObject(
                key: ObjectKey(catalog: 0, oid: UInt32(n + 1)), kind: .encoding, sortName: String(n),
                entries: [Self.entry(tag, tag, .preData, defn: defn)]))
        }
    }

    /// Comment, settings (ALTER DATABASE ... SET, ALTER ROLE ... IN DATABASE ... SET) and
    /// grants of the database itself. Stock pg_restore applies DATABASE PROPERTIES only with
    /// -C; our restore engine applies them to whatever database it restores into.
    private mutating func readDatabaseProperties() throws {
        let database = try rows("""
            SELECT d.oid, d.datname, pg_catalog.quote_ident(d.datname) AS q, pg_catalog.pg_get_userbyid(d.datdba) AS owner,
                   pg_catalog.shobj_description(d.oid, 'pg_database') AS comment, d.datacl::text AS acl
            FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
            """)[0]
        let q: String = try database.get("q"), name: String = try database.get("datname"), owner: String = try database.get("owner")
        var sql = ""
        if let comment = database["comment"], !options.noComments { sql += "COMMENT ON DATABASE \(q) IS \(quoteLiteral(comment));\n" }
        let listSettings: Set<String> = ["search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries", "shared_preload_libraries"]
        for row in try rows("""
            SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(s.setrole)) END AS role,
                   pg_catalog.unnest(s.setconfig) AS setting
            FROM pg_catalog.pg_db_role_setting s WHERE s.setdatabase = $1::pg_catalog.oid
            ORDER BY s.setrole
            """, [database["oid"]]) {
            let setting: String = try row.get("setting")
            guard let equals = setting.firstIndex(of: "=") else { continue }
            let key = String(setting[..<equals]), value = String(setting[setting.index(after: equals)...])
            let rendered = listSettings.contains(key.lowercased()) ? value : quoteLiteral(value)
            if let role = row["role"] {
                sql += "ALTER ROLE \(role) IN DATABASE \(q) SET \(key) TO \(rendered);\n"
            } else {
                sql += "ALTER DATABASE \(q) SET \(key) TO \(rendered);\n"
            }
        }
        if let acl = try aclEntry(database["acl"], kind: "DATABASE", target: q, tag: "DATABASE \(name)", namespace: nil, owner: owner)?.defn {
            sql += acl
        }
        guard !sql.isEmpty else { return }
        add(DumpObject(
            key: ObjectKey(catalog: 0, oid: 10), kind: .encoding, sortName: "z",
            entries: [Self.entry(name, "DATABASE PROPERTIES", .preData, defn: sql, owner: owner, tableOID: "1262", oid: database["oid"] ?? "0")]))
    }

    private mutating func readSchemas() throws {
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

    private mutating func readExtensions() throws {
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

    private mutating func readCollations() throws {
        for row in try rows("""
            SELECT c.oid, c.collname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.collname) AS q,
                   pg_catalog.pg_get_userbyid(c.collowner) AS owner, pg_catalog.obj_description(c.oid, 'pg_collation') AS comment,
                   c.collprovider, c.collisdeterministic,
                   pg_catalog.to_jsonb(c) ->> 'collcollate' AS collate, pg_catalog.to_jsonb(c) ->> 'collctype' AS ctype,
                   COALESCE(pg_catalog.to_jsonb(c) ->> 'colllocale', pg_catalog.to_jsonb(c) ->> 'colliculocale') AS locale,
                   COALESCE(pg_catalog.to_jsonb(c) ->> 'collicurules', '') AS rules
            FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_collation", "c.oid"))
            ORDER BY n.nspname, c.collname
            """)
        {
            let name: String = try row.get("collname"), schema: String = try row.get("nspname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            var parts: [String] = []
            switch row["collprovider"] {
            case "i":
                parts.append("provider = icu")
                parts.append("locale = \(quoteLiteral(row["locale"] ?? ""))")
                if let rules = row["rules"], !rules.isEmpty { parts.append("rules = \(quoteLiteral(rules))") }
            case "b":
                parts.append("provider = builtin")
                parts.append("locale = \(quoteLiteral(row["locale"] ?? ""))")
            default:
                parts.append("provider = libc")
                let collate = row["collate"] ?? "", ctype = row["ctype"] ?? ""
                if collate == ctype {
                    parts.append("locale = \(quoteLiteral(collate))")
                } else {
                    parts.append("lc_collate = \(quoteLiteral(collate))")
                    parts.append("lc_ctype = \(quoteLiteral(ctype))")
                }
            }
            if row["collisdeterministic"] == "f" { parts.append("deterministic = false") }
            let oid = row["oid"] ?? "0"
            var entries = [Self.entry(name, "COLLATION", .preData, defn: "CREATE COLLATION \(q) (\(parts.joined(separator: ", ")));\n", drop: "DROP COLLATION \(q);\n", namespace: schema, owner: owner, tableOID: "3456", oid: oid)]
            if let c = comment(row["comment"], target: "COLLATION \(q)", tag: "COLLATION \(name)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgCollation, oid), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
    }

    /// Text-search dictionaries and configurations (parsers and templates are refused).
    private mutating func readTextSearch() throws {
        for row in try rows("""
            SELECT d.oid, d.dictname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(d.dictname) AS q,
                   pg_catalog.pg_get_userbyid(d.dictowner) AS owner, pg_catalog.obj_description(d.oid, 'pg_ts_dict') AS comment,
                   pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.tmplname) AS template, d.dictinitoption
            FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
            JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_dict", "d.oid"))
            ORDER BY n.nspname, d.dictname
            """)
        {
            let name: String = try row.get("dictname"), schema: String = try row.get("nspname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            var defn = "CREATE TEXT SEARCH DICTIONARY \(q) (\n    TEMPLATE = \(try row.get("template", as: String.self))"
            if let options = row["dictinitoption"], !options.isEmpty { defn += ",\n    \(options)" }
            defn += " );\n"
            let oid = row["oid"] ?? "0"
            var entries = [Self.entry(name, "TEXT SEARCH DICTIONARY", .preData, defn: defn, drop: "DROP TEXT SEARCH DICTIONARY \(q);\n", namespace: schema, owner: owner, tableOID: "3600", oid: oid)]
            if let c = comment(row["comment"], target: "TEXT SEARCH DICTIONARY \(q)", tag: "TEXT SEARCH DICTIONARY \(name)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: ObjectKey(catalog: 3600, oid: UInt32(oid) ?? 0), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
        for row in try rows("""
            SELECT c.oid, c.cfgname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.cfgname) AS q,
                   pg_catalog.pg_get_userbyid(c.cfgowner) AS owner, pg_catalog.obj_description(c.oid, 'pg_ts_config') AS comment,
                   pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.prsname) AS parser, c.cfgparser
            FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
            JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_ts_config", "c.oid"))
            ORDER BY n.nspname, c.cfgname
            """)
        {
            let name: String = try row.get("cfgname"), schema: String = try row.get("nspname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            let oid = row["oid"] ?? "0"
            var defn = "CREATE TEXT SEARCH CONFIGURATION \(q) (\n    PARSER = \(try row.get("parser", as: String.self)) );\n"
            for mapping in try rows("""
                SELECT t.alias, pg_catalog.string_agg(pg_catalog.quote_ident(dn.nspname) || '.' || pg_catalog.quote_ident(d.dictname), ', ' ORDER BY m.mapseqno) AS dicts
                FROM pg_catalog.pg_ts_config_map m
                JOIN pg_catalog.ts_token_type($2::pg_catalog.oid) t ON t.tokid = m.maptokentype
                JOIN pg_catalog.pg_ts_dict d ON d.oid = m.mapdict JOIN pg_catalog.pg_namespace dn ON dn.oid = d.dictnamespace
                WHERE m.mapcfg = $1::pg_catalog.oid
                GROUP BY t.alias, m.maptokentype ORDER BY m.maptokentype
                """, [oid, row["cfgparser"]]) {
                defn += "\nALTER TEXT SEARCH CONFIGURATION \(q)\n    ADD MAPPING FOR \(try mapping.get("alias", as: String.self)) WITH \(try mapping.get("dicts", as: String.self));\n"
            }
            var entries = [Self.entry(name, "TEXT SEARCH CONFIGURATION", .preData, defn: defn, drop: "DROP TEXT SEARCH CONFIGURATION \(q);\n", namespace: schema, owner: owner, tableOID: "3602", oid: oid)]
            if let c = comment(row["comment"], target: "TEXT SEARCH CONFIGURATION \(q)", tag: "TEXT SEARCH CONFIGURATION \(name)", namespace: schema, owner: owner) { entries.append(c) }
            add(DumpObject(key: ObjectKey(catalog: 3602, oid: UInt32(oid) ?? 0), kind: .collation, sortName: "\(schema).\(name)", entries: entries))
        }
    }

    private mutating func readTypes() throws {
        for row in try rows("""
            SELECT t.oid, t.typname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname) AS q,
                   t.typtype, t.typrelid, pg_catalog.pg_get_userbyid(t.typowner) AS owner,
                   pg_catalog.obj_description(t.oid, 'pg_type') AS comment, t.typacl::text AS acl,
                   pg_catalog.format_type(t.typbasetype, t.typtypmod) AS basetype, t.typnotnull, t.typdefault,
                   CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
                        THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname)
                              FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace
                              WHERE c.oid = t.typcollation) END AS collation,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                    FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels
            FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
            LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_type", "t.oid"))
              AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c') OR (t.typtype = 'p' AND NOT t.typisdefined))
            ORDER BY n.nspname, t.typname
            """)
        {
            let name: String = try row.get("typname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            let schema: String = try row.get("nspname")
            let oid = row["oid"] ?? "0"
            var defn: String
            var desc = "TYPE"
            var domain = DomainConstraints()
            switch row["typtype"] {
            case "p":
                // A shell type: declared, never defined (pg_dump's dumpUndefinedType).
                defn = "CREATE TYPE \(q);\n"
            case "e":
                defn = "CREATE TYPE \(q) AS ENUM (\n    \((row["labels"] ?? "").replacingOccurrences(of: ", ", with: ",\n    "))\n);\n"
            case "d":
                desc = "DOMAIN"
                defn = "CREATE DOMAIN \(q) AS \(try row.get("basetype", as: String.self))"
                if let collation = row["collation"] { defn += " COLLATE \(collation)" }
                if let def = row["typdefault"] { defn += " DEFAULT \(def)" }
                if row["typnotnull"] == "t" { defn += " NOT NULL" }
                domain = try domainConstraints(domainOID: oid, domainKey: Self.key(CatalogID.pgType, oid), q: q, name: name, schema: schema, owner: owner)
                defn += domain.inline + ";\n"
            case "r":
                let range = try rows("""
                    SELECT pg_catalog.format_type(r.rngsubtype, NULL) AS subtype,
                           CASE WHEN r.rngsubopc <> (SELECT o.oid FROM pg_catalog.pg_opclass o WHERE o.opcintype = r.rngsubtype AND o.opcdefault AND o.opcmethod = 403 LIMIT 1)
                                THEN (SELECT pg_catalog.quote_ident(on2.nspname) || '.' || pg_catalog.quote_ident(o.opcname) FROM pg_catalog.pg_opclass o JOIN pg_catalog.pg_namespace on2 ON on2.oid = o.opcnamespace WHERE o.oid = r.rngsubopc) END AS opclass,
                           CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname) FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace WHERE c.oid = r.rngcollation) END AS collation,
                           NULLIF(r.rngcanonical::pg_catalog.regproc::text, '-') AS canonical,
                           NULLIF(r.rngsubdiff::pg_catalog.regproc::text, '-') AS subdiff,
                           (SELECT pg_catalog.quote_ident(mt.typname) FROM pg_catalog.pg_type mt WHERE mt.oid = r.rngmultitypid) AS multirange,
                           (SELECT mt.typnamespace = t.typnamespace FROM pg_catalog.pg_type mt WHERE mt.oid = r.rngmultitypid) AS same_ns
                    FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type t ON t.oid = r.rngtypid JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
                    WHERE r.rngtypid = $1::pg_catalog.oid
                    """, [oid])[0]
                var parts = ["    subtype = \(try range.get("subtype", as: String.self))"]
                if let multirange = range["multirange"] { parts.append("    multirange_type_name = \(range["same_ns"] == "t" ? "\(quoteIdentifier(schema)).\(multirange)" : multirange)") }
                if let opclass = range["opclass"] { parts.append("    subtype_opclass = \(opclass)") }
                if let collation = range["collation"] { parts.append("    collation = \(collation)") }
                if let canonical = range["canonical"] { parts.append("    canonical = \(canonical)") }
                if let subdiff = range["subdiff"] { parts.append("    subtype_diff = \(subdiff)") }
                defn = "CREATE TYPE \(q) AS RANGE (\n\(parts.joined(separator: ",\n"))\n);\n"
            default:
                let attributes = try rows("""
                    SELECT pg_catalog.quote_ident(a.attname) AS q, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
                           CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0
                                THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname) FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace WHERE c.oid = a.attcollation) END AS collation
                    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
                    WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                    """, [row["typrelid"]])
                let lines = try attributes.map { "    \(try $0.get("q", as: String.self)) \(try $0.get("type", as: String.self))" + ($0["collation"].map { " COLLATE \($0)" } ?? "") }
                defn = "CREATE TYPE \(q) AS (\n\(lines.joined(separator: ",\n"))\n);\n"
                alias[Self.key(CatalogID.pgClass, row["typrelid"])] = Self.key(CatalogID.pgType, oid)
            }
            var entries = [Self.entry(name, desc, .preData, defn: defn, drop: "DROP \(desc) \(q);\n", namespace: schema, owner: owner, tableOID: "1247", oid: oid)]
            if let c = comment(row["comment"], target: "\(desc) \(q)", tag: "\(desc) \(name)", namespace: schema, owner: owner) { entries.append(c) }
            entries += domain.comments
            if let acl = try aclEntry(row["acl"], kind: "TYPE", target: q, tag: "TYPE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
            add(DumpObject(key: Self.key(CatalogID.pgType, oid), kind: .type, sortName: "\(schema).\(name)", entries: entries))
            domain.separate.forEach { add($0) }
        }
    }

    private mutating func readFunctions() throws {
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
    private func aggregateDefinition(oid: String, signature: String) throws -> String {
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

    // MARK: relations

    private mutating func readRelations() throws {
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
        let tableOIDs = relations.filter { ["r", "p", "f"].contains($0["relkind"]) }.compactMap { $0["oid"] }
        let columns = try readColumns(tableOIDs + relations.filter { ["v", "m"].contains($0["relkind"]) }.compactMap { $0["oid"] })
        let checks = try rows("""
            SELECT co.conrelid, pg_catalog.quote_ident(co.conname) AS q, pg_catalog.pg_get_constraintdef(co.oid) AS def, co.conname,
                   pg_catalog.obj_description(co.oid, 'pg_constraint') AS comment
            FROM pg_catalog.pg_constraint co
            WHERE co.conrelid = ANY($1::pg_catalog.oid[]) AND co.contype = 'c' AND co.convalidated
              AND (co.conislocal OR EXISTS (SELECT 1 FROM pg_catalog.pg_class pc WHERE pc.oid = co.conrelid AND pc.relispartition))
            ORDER BY co.conname
            """, ["{" + tableOIDs.joined(separator: ",") + "}"])

        for row in relations {
            let oid = row["oid"] ?? "0"
            let name: String = try row.get("relname"), schema: String = try row.get("nspname"), q: String = try row.get("q")
            let owner: String = try row.get("owner")
            let key = Self.key(CatalogID.pgClass, oid)
            switch row["relkind"] {
            case "S":
                try readSequence(row, name: name, schema: schema, q: q, owner: owner)
                continue
            case "v", "m":
                let materialized = row["relkind"] == "m"
                let desc = materialized ? "MATERIALIZED VIEW" : "VIEW"
                var defn = "CREATE \(desc) \(q)"
                if let options = row["options"], !options.isEmpty { defn += " WITH (\(options))" }
                var body = (try row.get("viewdef", as: String.self)).trimmingCharacters(in: .whitespacesAndNewlines)
                if body.hasSuffix(";") { body.removeLast() }
                defn += " AS\n \(body)"
                defn += materialized ? "\n  WITH NO DATA;\n" : ";\n"
                // Per-column compression, as pg_dump writes it for materialized views too.
                let compressed = (columns[oid] ?? []).compactMap { column in
                    column["compression"].map { "ALTER TABLE ONLY \(q) ALTER COLUMN \(column["q"] ?? "") SET COMPRESSION \($0);" }
                }
                if !compressed.isEmpty { defn += "\n" + compressed.joined(separator: "\n") + "\n" }
                var entries = [Self.entry(name, desc, .preData, defn: defn, drop: "DROP \(desc) \(q);\n", namespace: schema, owner: owner, tableOID: "1259", oid: oid, tablespace: materialized ? tablespaceField(row["tablespace"]) : nil, tableAM: materialized ? row["amname"] ?? "heap" : nil)]
                entries += columnCommentsAndACLs(row, columns: columns[oid] ?? [], schema: schema, q: q, name: name, owner: owner, kindWord: materialized ? "MATERIALIZED VIEW" : "VIEW")
                if let acl = try aclEntry(row["acl"], kind: "TABLE", target: q, tag: "TABLE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
                entries += try columnACLs(columns[oid] ?? [], q: q, name: name, schema: schema, owner: owner)
                var object = DumpObject(key: key, kind: .view, sortName: "\(schema).\(name)", entries: entries)
                object.postponable = true
                add(object)
                if materialized && row["relispopulated"] == "t" {
                    var data = DumpObject(
                        key: ObjectKey(catalog: 1, oid: key.oid), kind: .materializedViewData, sortName: "\(schema).\(name)",
                        entries: [Self.entry(name, "MATERIALIZED VIEW DATA", .postData, defn: "REFRESH MATERIALIZED VIEW \(q);\n", namespace: schema, owner: owner, oid: oid)])
                    data.dependencies = [key]
                    add(data)
                }
                continue
            default:
                break
            }
            // Tables, partitioned tables, partitions, inheritance children.
            let cols = columns[oid] ?? []
            let partition = row["relispartition"] == "t"
            let foreign = row["relkind"] == "f"
            let desc = foreign ? "FOREIGN TABLE" : "TABLE"
            var defn = "CREATE \(row["relpersistence"] == "u" ? "UNLOGGED " : "")\(desc) \(q) "
            // A typed table (CREATE TABLE ... OF type) takes its columns from the type; only NOT NULL is its own.
            let oftype = row["oftype"]
            if let oftype { defn += "OF \(oftype)" }
            var lines: [String] = []
            var after: [String] = []
            for column in cols {
                let qname: String = try column.get("q")
                if oftype != nil {
                    if column["attnotnull"] == "t" { lines.append("    \(qname) NOT NULL") }
                    continue
                }
                let local = column["attislocal"] == "t"
                // Partitions are created whole and attached afterwards, as pg_dump does.
                if !local && !partition {
                    // Inherited columns come from the parent; only what differs is set after.
                    if column["attnotnull"] == "t" && column["parent_notnull"] != "t" {
                        after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET NOT NULL;")
                    }
                    continue
                }
                var line = "    \(qname) \(try column.get("type", as: String.self))"
                if let collation = column["collation"] { line += " COLLATE \(collation)" }
                // An inheritance child takes the expression from its parent and may not repeat it
                // (PostgreSQL 15/16); a partition is created standalone, so it keeps it.
                if let generated = column["generated"], partition || generated != column["parent_generated"] {
                    line += " GENERATED ALWAYS AS (\(generated)) STORED"
                }
                if column["attnotnull"] == "t" {
                    // PostgreSQL 18 names NOT NULL constraints; keep a name that is not the default.
                    if let constraint = column["nn_name"], constraint != "\(name)_\(column["attname"] ?? "")_not_null" {
                        line += " CONSTRAINT \(quoteIdentifier(constraint))"
                    }
                    line += " NOT NULL"
                }
                lines.append(line)
            }
            for check in checks where check["conrelid"] == oid {
                lines.append("    CONSTRAINT \(try check.get("q", as: String.self)) \(try check.get("def", as: String.self))")
            }
            if oftype == nil || !lines.isEmpty { defn += (oftype == nil ? "" : " ") + "(\n" + lines.joined(separator: ",\n") + "\n)" }
            if !partition, let parents = row["parents"] { defn += "\nINHERITS (\(parents))" }
            if partition, let parent = row["parents"], let bound = row["partbound"] {
                var attach = DumpObject(
                    key: ObjectKey(catalog: 6, oid: UInt32(oid) ?? 0), kind: .attach, sortName: "\(schema).\(name)",
                    entries: [Self.entry(name, "TABLE ATTACH", .preData, defn: "ALTER TABLE ONLY \(parent) ATTACH PARTITION \(q) \(bound);\n", namespace: schema, owner: owner)])
                attach.dependencies = [Self.key(CatalogID.pgClass, oid), Self.key(CatalogID.pgClass, row["parent_oid"])]
                add(attach)
            }
            if let partkey = row["partkey"] { defn += "\nPARTITION BY \(partkey)" }
            if foreign { defn += foreignTableClause(server: try row.get("foreign_server"), options: row["foreign_options"]) }
            if let options = row["options"], !options.isEmpty { defn += "\nWITH (\(options))" }
            defn += ";\n"
            for column in cols {
                let qname: String = try column.get("q")
                if let identity = column["identity"], let seq = column["identity_seq"] {
                    after.append("ALTER TABLE \(q) ALTER COLUMN \(qname) ADD GENERATED \(identity == "a" ? "ALWAYS" : "BY DEFAULT") AS IDENTITY (\n    SEQUENCE NAME \(seq)\n\(column["identity_options"] ?? "")\n);")
                }
                if let target = column["stattarget"] { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET STATISTICS \(target);") }
                if let storage = column["storage"] { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET STORAGE \(storage);") }
                if let options = column["attoptions"] { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET (\(options));") }
                if let method = column["compression"] { after.append("ALTER TABLE ONLY \(q) ALTER COLUMN \(qname) SET COMPRESSION \(method);") }
                if let options = column["fdwoptions"] { after.append("ALTER FOREIGN TABLE \(q) ALTER COLUMN \(qname) OPTIONS (\n    \(options)\n);") }
            }
            switch foreign ? nil : row["relreplident"] {
            case "n": after.append("ALTER TABLE ONLY \(q) REPLICA IDENTITY NOTHING;")
            case "f": after.append("ALTER TABLE ONLY \(q) REPLICA IDENTITY FULL;")
            default: break
            }
            if row["relrowsecurity"] == "t" { after.append("ALTER TABLE \(q) ENABLE ROW LEVEL SECURITY;") }
            if row["relforcerowsecurity"] == "t" { after.append("ALTER TABLE ONLY \(q) FORCE ROW LEVEL SECURITY;") }
            if !after.isEmpty { defn += "\n" + after.joined(separator: "\n") + "\n" }
            var entries = [Self.entry(name, desc, .preData, defn: defn, drop: "DROP \(desc) \(q);\n", namespace: schema, owner: owner, tableOID: "1259", oid: oid, tablespace: foreign ? nil : tablespaceField(row["tablespace"]), tableAM: (foreign || row["relkind"] == "p") ? nil : row["amname"] ?? "heap")]
            entries += columnCommentsAndACLs(row, columns: cols, schema: schema, q: q, name: name, owner: owner, kindWord: desc)
            for check in checks where check["conrelid"] == oid {
                if let c = comment(check["comment"], target: "CONSTRAINT \(try check.get("q", as: String.self)) ON \(q)", tag: "CONSTRAINT \(check["conname"] ?? "") ON \(name)", namespace: schema, owner: owner) { entries.append(c) }
            }
            if let acl = try aclEntry(row["acl"], kind: "TABLE", target: q, tag: "TABLE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
            entries += try columnACLs(cols, q: q, name: name, schema: schema, owner: owner)
            add(DumpObject(key: key, kind: .table, sortName: "\(schema).\(name)", entries: entries))

            // Its rows (a partitioned table has none of its own).
            if row["relkind"] == "r" {
                // A table without columns copies with no column list (rows are empty lines), as pg_dump does.
                let copyColumns = cols.filter { $0["generated"] == nil }.compactMap { $0["q"] }.joined(separator: ", ")
                let columnList = copyColumns.isEmpty ? "" : "(\(copyColumns))"
                var data = Self.entry(name, "TABLE DATA", .data, defn: nil, namespace: schema, owner: owner, oid: oid)
                data.hadDumper = true
                data.dataOffset = .notSet
                data.copyStmt = "COPY \(q) \(columnList) FROM stdin;\n"
                var object = DumpObject(key: ObjectKey(catalog: 2, oid: key.oid), kind: .tableData, sortName: "\(schema).\(name)", entries: [data])
                object.dependencies = [key]
                object.copyOut = PlannedTable(
                    dumpId: 0, schema: schema, name: name, copyOutSQL: copyColumns.isEmpty ? "COPY \(q) TO STDOUT" : "COPY \(q) \(columnList) TO STDOUT", tableOID: key.oid)
                add(object)
            }
        }
    }

    private func columnCommentsAndACLs(_ row: Row, columns: [Row], schema: String, q: String, name: String, owner: String, kindWord: String) -> [TOCEntry] {
        var entries: [TOCEntry] = []
        if let c = comment(row["comment"], target: "\(kindWord) \(q)", tag: "\(kindWord) \(name)", namespace: schema, owner: owner) { entries.append(c) }
        for column in columns {
            if let text = column["comment"], let qname = column["q"], let cname = column["attname"],
               let c = comment(text, target: "COLUMN \(q).\(qname)", tag: "COLUMN \(name).\(cname)", namespace: schema, owner: owner) {
                entries.append(c)
            }
        }
        return entries
    }

    private func columnACLs(_ columns: [Row], q: String, name: String, schema: String, owner: String) throws -> [TOCEntry] {
        var entries: [TOCEntry] = []
        for column in columns {
            guard let acl = column["attacl"], let qname = column["q"], let cname = column["attname"] else { continue }
            if let entry = try aclEntry(acl, kind: "TABLE", target: q, tag: "COLUMN \(name).\(cname)", namespace: schema, owner: owner, column: qname) {
                entries.append(entry)
            }
        }
        return entries
    }

    private func readColumns(_ oids: [String]) throws -> [String: [Row]] {
        var byTable: [String: [Row]] = [:]
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
            byTable[row["attrelid"] ?? "", default: []].append(row)
        }
        return byTable
    }

    private mutating func readSequence(_ row: Row, name: String, schema: String, q: String, owner: String) throws {
        let oid = row["oid"] ?? "0"
        let seq = try rows("""
            SELECT pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                   d.refobjid AS owned_table,
                   (SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attribute a WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid) AS owned_column,
                   (SELECT pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(tc.relname) FROM pg_catalog.pg_class tc JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.oid = d.refobjid) AS owned_q
            FROM pg_catalog.pg_sequence s
            LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.seqrelid
                 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a'
            WHERE s.seqrelid = $1::pg_catalog.oid
            """, [oid])[0]
        let type: String = try seq.get("type")
        let increment: Int64 = try seq.get("seqincrement")
        let (defaultMin, defaultMax) = Self.defaultBounds(type: type, ascending: increment > 0)
        var defn = "CREATE SEQUENCE \(q)\n"
        if type != "bigint" { defn += "    AS \(type)\n" }
        defn += "    START WITH \(try seq.get("seqstart", as: Int64.self))\n    INCREMENT BY \(increment)\n"
        let min: Int64 = try seq.get("seqmin"), max: Int64 = try seq.get("seqmax")
        defn += min == defaultMin ? "    NO MINVALUE\n" : "    MINVALUE \(min)\n"
        defn += max == defaultMax ? "    NO MAXVALUE\n" : "    MAXVALUE \(max)\n"
        defn += "    CACHE \(try seq.get("seqcache", as: Int64.self))"
        if seq["seqcycle"] == "t" { defn += "\n    CYCLE" }
        defn += ";\n"
        if row["relpersistence"] == "u" { defn = defn.replacingOccurrences(of: "CREATE SEQUENCE", with: "CREATE UNLOGGED SEQUENCE") }
        let key = Self.key(CatalogID.pgClass, oid)
        var entries = [Self.entry(name, "SEQUENCE", .preData, defn: defn, drop: "DROP SEQUENCE \(q);\n", namespace: schema, owner: owner, tableOID: "1259", oid: oid)]
        if let c = comment(row["comment"], target: "SEQUENCE \(q)", tag: "SEQUENCE \(name)", namespace: schema, owner: owner) { entries.append(c) }
        if let acl = try aclEntry(row["acl"], kind: "SEQUENCE", target: q, tag: "SEQUENCE \(name)", namespace: schema, owner: owner) { entries.append(acl) }
        add(DumpObject(key: key, kind: .sequence, sortName: "\(schema).\(name)", entries: entries))
        if let ownedQ = seq["owned_q"], let column = seq["owned_column"] {
            var owned = DumpObject(
                key: ObjectKey(catalog: 3, oid: key.oid), kind: .sequenceOwnedBy, sortName: "\(schema).\(name)",
                entries: [Self.entry(name, "SEQUENCE OWNED BY", .preData, defn: "ALTER SEQUENCE \(q) OWNED BY \(ownedQ).\(column);\n", namespace: schema, owner: owner)])
            owned.dependencies = [key, Self.key(CatalogID.pgClass, seq["owned_table"])]
            add(owned)
        }
        try addSequenceSet(q: q, name: name, schema: schema, owner: owner, sequenceKey: key)
    }

    private mutating func addSequenceSet(q: String, name: String, schema: String, owner: String, sequenceKey: ObjectKey) throws {
        let state = try rows("SELECT last_value, is_called FROM \(q)")[0]
        var set = DumpObject(
            key: ObjectKey(catalog: 4, oid: sequenceKey.oid), kind: .sequenceSet, sortName: "\(schema).\(name)",
            entries: [Self.entry(name, "SEQUENCE SET", .data, defn: "SELECT pg_catalog.setval(\(quoteLiteral(q)), \(try state.get("last_value", as: Int64.self)), \(try state.get("is_called", as: Bool.self)));\n", namespace: schema, owner: owner)])
        set.dependencies = [sequenceKey]
        add(set)
    }

    /// Identity sequences are created by ALTER TABLE ... ADD GENERATED; only their values are set.
    private mutating func readIdentitySequenceValues() throws {
        for row in try rows("""
            SELECT c.oid, c.relname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, d.refobjid
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i'
            WHERE c.relkind = 'S' AND \(userNamespaceFilter)
            """)
        {
            let tableKey = Self.key(CatalogID.pgClass, row["refobjid"])
            try addSequenceSet(q: try row.get("q"), name: try row.get("relname"), schema: try row.get("nspname"), owner: try row.get("owner"), sequenceKey: tableKey)
            alias[Self.key(CatalogID.pgClass, row["oid"])] = tableKey
        }
    }

    // MARK: table parts

    private mutating func readDefaults() throws {
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

    private mutating func readConstraints() throws {
        for row in try rows("""
            SELECT co.oid, co.conname, pg_catalog.quote_ident(co.conname) AS qname, co.contype, co.convalidated, co.conrelid,
                   c.relname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.pg_get_constraintdef(co.oid) AS def, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
                   pg_catalog.obj_description(co.oid, 'pg_constraint') AS comment, c.relkind, co.conparentid, co.conislocal, c.relispartition,
                   co.conindid, (SELECT i.indisclustered FROM pg_catalog.pg_index i WHERE i.indexrelid = co.conindid) AS clustered,
                   (SELECT i.indisreplident FROM pg_catalog.pg_index i WHERE i.indexrelid = co.conindid) AS replident,
                   (SELECT pg_catalog.quote_ident(ic.relname) FROM pg_catalog.pg_class ic WHERE ic.oid = co.conindid) AS qindex,
                   (SELECT \(Self.tablespaceName("ic.reltablespace")) FROM pg_catalog.pg_class ic WHERE ic.oid = co.conindid) AS tablespace
            FROM pg_catalog.pg_constraint co
            JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE co.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p', 'f') AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, co.conname
            """)
        {
            let type = row["contype"] ?? ""
            // Validated local CHECKs are inline in CREATE TABLE; inherited ones and foreign keys
            // cloned onto partitions come from their parent.
            if type == "c" && row["convalidated"] == "t" && (row["conislocal"] == "t" || row["relispartition"] == "t") { continue }
            if type == "c" && row["conislocal"] != "t" { continue }
            if type == "f" && row["conparentid"] != "0" { continue }
            let q: String = try row.get("q"), qname: String = try row.get("qname"), owner: String = try row.get("owner")
            let schema: String = try row.get("nspname"), table: String = try row.get("relname"), name: String = try row.get("conname")
            let desc: String, kind: ObjectKind
            switch type {
            case "f": desc = "FK CONSTRAINT"; kind = .foreignKey
            case "c": desc = "CHECK CONSTRAINT"; kind = .constraint
            default: desc = "CONSTRAINT"; kind = .constraint
            }
            let only = row["relkind"] == "p" && type == "f" ? "" : "ONLY "
            var defn = "ALTER TABLE \(only)\(q)\n    ADD CONSTRAINT \(qname) \(try row.get("def", as: String.self));\n"
            // A foreign key's conindid is the referenced table's key: its CLUSTER ON belongs there.
            if type != "f", row["clustered"] == "t", let index = row["qindex"] { defn += "\nALTER TABLE \(q) CLUSTER ON \(index);\n" }
            if type != "f", row["replident"] == "t", let index = row["qindex"] { defn += "\nALTER TABLE ONLY \(q) REPLICA IDENTITY USING INDEX \(index);\n" }
            var entries = [Self.entry(
                "\(table) \(name)", desc, .postData, defn: defn, drop: "ALTER TABLE ONLY \(q) DROP CONSTRAINT \(qname);\n",
                namespace: schema, owner: owner, tableOID: "2606", oid: row["oid"] ?? "0", tablespace: desc == "CONSTRAINT" ? tablespaceField(row["tablespace"]) : nil)]
            if let c = comment(row["comment"], target: "CONSTRAINT \(qname) ON \(q)", tag: "CONSTRAINT \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgConstraint, row["oid"]), kind: kind, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, row["conrelid"])]
            if row["conindid"] != "0" && type != "f" { alias[Self.key(CatalogID.pgClass, row["conindid"])] = object.key }
            add(object)
        }
    }

    private mutating func readIndexes() throws {
        for row in try rows("""
            SELECT i.indexrelid, i.indrelid, ic.relname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ic.relname) AS q,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(tc.relname) AS qtable,
                   pg_catalog.pg_get_indexdef(i.indexrelid) AS def, i.indisclustered, i.indisreplident, pg_catalog.quote_ident(ic.relname) AS qname,
                   pg_catalog.pg_get_userbyid(tc.relowner) AS owner,
                   pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment, tc.relkind,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')) AS for_constraint,
                   (SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname) FROM pg_catalog.pg_inherits h
                    JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                    WHERE h.inhrelid = i.indexrelid) AS parent_index,
                   (SELECT h.inhparent FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid) AS parent_oid,
                   (SELECT pg_catalog.string_agg(format('ALTER INDEX %s ALTER COLUMN %s SET STATISTICS %s;', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ic.relname), a.attnum, a.attstattarget), E'\\n')
                    FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indexrelid AND COALESCE(a.attstattarget, -1) >= 0) AS stats,
                   \(Self.tablespaceName("ic.reltablespace")) AS tablespace
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
            JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
            WHERE tc.relkind IN ('r', 'p', 'm') AND \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "tc.oid"))
            ORDER BY n.nspname, ic.relname
            """)
        {
            let schema: String = try row.get("nspname"), name: String = try row.get("relname"), q: String = try row.get("q")
            let owner: String = try row.get("owner")
            let indexKey = Self.key(CatalogID.pgClass, row["indexrelid"])
            if row["for_constraint"] != "t" {
                var defn = (try row.get("def", as: String.self)) + ";\n"
                if row["indisclustered"] == "t" { defn += "\nALTER TABLE \(try row.get("qtable", as: String.self)) CLUSTER ON \(quoteIdentifier(name));\n" }
                if let stats = row["stats"] { defn += "\n\(stats)\n" }
                if row["indisreplident"] == "t" { defn += "\nALTER TABLE ONLY \(try row.get("qtable", as: String.self)) REPLICA IDENTITY USING INDEX \(try row.get("qname", as: String.self));\n" }
                var entries = [Self.entry(name, "INDEX", .postData, defn: defn, drop: "DROP INDEX \(q);\n", namespace: schema, owner: owner, tableOID: "1259", oid: row["indexrelid"] ?? "0", tablespace: tablespaceField(row["tablespace"]))]
                if let c = comment(row["comment"], target: "INDEX \(q)", tag: "INDEX \(name)", namespace: schema, owner: owner) { entries.append(c) }
                var object = DumpObject(key: indexKey, kind: .index, sortName: "\(schema).\(name)", entries: entries)
                object.dependencies = [Self.key(CatalogID.pgClass, row["indrelid"])]
                add(object)
            }
            if let parent = row["parent_index"] {
                var attach = DumpObject(
                    key: ObjectKey(catalog: 5, oid: indexKey.oid), kind: .indexAttach, sortName: "\(schema).\(name)",
                    entries: [Self.entry(name, "INDEX ATTACH", .postData, defn: "ALTER INDEX \(parent) ATTACH PARTITION \(q);\n", namespace: schema, owner: owner)])
                attach.dependencies = [indexKey, Self.key(CatalogID.pgClass, row["parent_oid"])]
                add(attach)
            }
        }
    }

    private mutating func readTriggers() throws {
        for row in try rows("""
            SELECT t.oid, t.tgname, pg_catalog.quote_ident(t.tgname) AS qname, t.tgrelid, c.relname, n.nspname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.pg_get_triggerdef(t.oid, false) AS def, t.tgenabled, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
                   pg_catalog.obj_description(t.oid, 'pg_trigger') AS comment
            FROM pg_catalog.pg_trigger t
            JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, t.tgname
            """)
        {
            let q: String = try row.get("q"), qname: String = try row.get("qname"), table: String = try row.get("relname")
            let name: String = try row.get("tgname"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            var defn = (try row.get("def", as: String.self)) + ";\n"
            switch row["tgenabled"] {
            case "D": defn += "\nALTER TABLE \(q) DISABLE TRIGGER \(qname);\n"
            case "R": defn += "\nALTER TABLE \(q) ENABLE REPLICA TRIGGER \(qname);\n"
            case "A": defn += "\nALTER TABLE \(q) ENABLE ALWAYS TRIGGER \(qname);\n"
            default: break
            }
            var entries = [Self.entry("\(table) \(name)", "TRIGGER", .postData, defn: defn, drop: "DROP TRIGGER \(qname) ON \(q);\n", namespace: schema, owner: owner, tableOID: "2620", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "TRIGGER \(qname) ON \(q)", tag: "TRIGGER \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgTrigger, row["oid"]), kind: .trigger, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, row["tgrelid"])]
            add(object)
        }
    }

    private mutating func readRules() throws {
        for row in try rows("""
            SELECT r.oid, r.rulename, r.ev_class, c.relname, n.nspname, c.relkind,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   pg_catalog.quote_ident(r.rulename) AS qname, pg_catalog.pg_get_ruledef(r.oid) AS def, r.ev_enabled,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, pg_catalog.obj_description(r.oid, 'pg_rewrite') AS comment
            FROM pg_catalog.pg_rewrite r
            JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, r.rulename
            """)
        {
            let relationKey = Self.key(CatalogID.pgClass, row["ev_class"])
            if row["rulename"] == "_RETURN" {
                alias[Self.key(CatalogID.pgRewrite, row["oid"])] = relationKey
                continue
            }
            let q: String = try row.get("q"), qname: String = try row.get("qname"), table: String = try row.get("relname")
            let name: String = try row.get("rulename"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            var defn = try row.get("def", as: String.self)
            if !defn.hasSuffix("\n") { defn += "\n" }
            if row["ev_enabled"] == "D" { defn += "\nALTER TABLE \(q) DISABLE RULE \(qname);\n" }
            var entries = [Self.entry("\(table) \(name)", "RULE", .postData, defn: defn, drop: "DROP RULE \(qname) ON \(q);\n", namespace: schema, owner: owner, tableOID: "2618", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "RULE \(qname) ON \(q)", tag: "RULE \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgRewrite, row["oid"]), kind: .rule, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [relationKey]
            add(object)
        }
    }

    private mutating func readPolicies() throws {
        for row in try rows("""
            SELECT p.oid, p.polname, pg_catalog.quote_ident(p.polname) AS qname, p.polrelid, c.relname, n.nspname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   p.polpermissive, p.polcmd,
                   CASE WHEN p.polroles = '{0}' THEN 'PUBLIC' ELSE
                       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)), ', ' ORDER BY pg_catalog.pg_get_userbyid(r)) FROM pg_catalog.unnest(p.polroles) r) END AS roles,
                   pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual, pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS withcheck,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, pg_catalog.obj_description(p.oid, 'pg_policy') AS comment
            FROM pg_catalog.pg_policy p
            JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(userNamespaceFilter)
            ORDER BY n.nspname, c.relname, p.polname
            """)
        {
            let q: String = try row.get("q"), qname: String = try row.get("qname"), table: String = try row.get("relname")
            let name: String = try row.get("polname"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            let command: String
            switch row["polcmd"] {
            case "r": command = "SELECT"
            case "a": command = "INSERT"
            case "w": command = "UPDATE"
            case "d": command = "DELETE"
            default: command = "ALL"
            }
            var defn = "CREATE POLICY \(qname) ON \(q)"
            if row["polpermissive"] != "t" { defn += " AS RESTRICTIVE" }
            defn += " FOR \(command) TO \(row["roles"] ?? "PUBLIC")"
            if let qual = row["qual"] { defn += "\n  USING (\(qual))" }
            if let check = row["withcheck"] { defn += "\n  WITH CHECK (\(check))" }
            defn += ";\n"
            var entries = [Self.entry("\(table) \(name)", "POLICY", .postData, defn: defn, drop: "DROP POLICY \(qname) ON \(q);\n", namespace: schema, owner: owner, tableOID: "3256", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "POLICY \(qname) ON \(q)", tag: "POLICY \(name) ON \(table)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgPolicy, row["oid"]), kind: .policy, sortName: "\(schema).\(table).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, row["polrelid"])]
            add(object)
        }
    }

    private mutating func readStatistics() throws {
        for row in try rows("""
            SELECT s.oid, s.stxname, n.nspname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(s.stxname) AS q,
                   pg_catalog.pg_get_statisticsobjdef(s.oid) AS def, pg_catalog.pg_get_userbyid(s.stxowner) AS owner, s.stxrelid,
                   CASE WHEN COALESCE(s.stxstattarget, -1) >= 0 THEN s.stxstattarget END AS target,
                   pg_catalog.obj_description(s.oid, 'pg_statistic_ext') AS comment
            FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
            WHERE \(userNamespaceFilter)
            ORDER BY n.nspname, s.stxname
            """)
        {
            let q: String = try row.get("q"), name: String = try row.get("stxname"), schema: String = try row.get("nspname"), owner: String = try row.get("owner")
            var defn = (try row.get("def", as: String.self)) + ";\n"
            if let target = row["target"] { defn += "ALTER STATISTICS \(q) SET STATISTICS \(target);\n" }
            var entries = [Self.entry(name, "STATISTICS", .postData, defn: defn, drop: "DROP STATISTICS \(q);\n", namespace: schema, owner: owner, tableOID: "3381", oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "STATISTICS \(q)", tag: "STATISTICS \(name)", namespace: schema, owner: owner) { entries.append(c) }
            var object = DumpObject(key: Self.key(CatalogID.pgStatisticExt, row["oid"]), kind: .statistics, sortName: "\(schema).\(name)", entries: entries)
            object.dependencies = [Self.key(CatalogID.pgClass, row["stxrelid"])]
            add(object)
        }
    }

    // MARK: dependencies

    /// Adds pg_depend's normal and automatic dependencies between dumped objects.
    private mutating func readDependencies() throws {
        var index: [ObjectKey: Int] = [:]
        for (i, object) in objects.enumerated() { index[object.key] = i }
        func resolve(_ key: ObjectKey) -> ObjectKey? {
            var current = key
            var hops = 0
            while let next = alias[current], hops < 4 {
                current = next
                hops += 1
            }
            return index[current] != nil ? current : nil
        }
        // Columns and rowtypes are parts of their relation; array types of their element.
        for row in try rows("""
            SELECT t.oid, t.typrelid, t.typelem, t.typtype FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            WHERE \(userNamespaceFilter) AND (t.typrelid <> 0 OR t.typelem <> 0 OR t.typtype = 'm')
            """)
        {
            let typeKey = Self.key(CatalogID.pgType, row["oid"])
            if alias[typeKey] != nil || index[typeKey] != nil { continue }
            if row["typrelid"] != "0" {
                alias[typeKey] = Self.key(CatalogID.pgClass, row["typrelid"])
            } else if row["typelem"] != "0" {
                alias[typeKey] = Self.key(CatalogID.pgType, row["typelem"])
            }
        }
        for row in try rows("""
            SELECT classid, objid, refclassid, refobjid FROM pg_catalog.pg_depend
            WHERE deptype IN ('n', 'a') AND objid >= 16384 AND refobjid >= 16384
            """)
        {
            guard let from = resolve(ObjectKey(catalog: UInt32(row["classid"] ?? "0") ?? 0, oid: UInt32(row["objid"] ?? "0") ?? 0)),
                  let to = resolve(ObjectKey(catalog: UInt32(row["refclassid"] ?? "0") ?? 0, oid: UInt32(row["refobjid"] ?? "0") ?? 0)),
                  from != to, let i = index[from]
            else { continue }
            objects[i].dependencies.insert(to)
        }
        // Everything in a schema comes after the schema; table parts after their table.
        var schemaKey: [String: ObjectKey] = [:]
        for object in objects where object.kind == .schema { schemaKey[object.entries[0].tag] = object.key }
        for i in objects.indices {
            if let ns = objects[i].entries[0].namespace, let key = schemaKey[ns], key != objects[i].key {
                objects[i].dependencies.insert(key)
            }
        }
    }

    /// The bounds CREATE SEQUENCE picks when none are given, so they print as NO MINVALUE/NO MAXVALUE.
    static func defaultBounds(type: String, ascending: Bool) -> (Int64, Int64) {
        let maxValue: Int64
        switch type {
        case "smallint": maxValue = Int64(Int16.max)
        case "integer": maxValue = Int64(Int32.max)
        default: maxValue = Int64.max
        }
        let minValue: Int64 = type == "smallint" ? Int64(Int16.min) : type == "integer" ? Int64(Int32.min) : Int64.min
        return ascending ? (1, maxValue) : (minValue, -1)
    }
}

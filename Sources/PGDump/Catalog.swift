import PGWire

// Catalog introspection: what the dump reproduces, read inside the dump's snapshot.
// Every query runs with search_path = '' so the server's deparsers qualify every name.

struct SchemaInfo {
    var oid: String
    var name: String
    var quoted: String
    var owner: String
    var comment: String?
}

struct ColumnInfo {
    var name: String
    var quoted: String
    var type: String
    var notNull: Bool
    var defaultExpr: String?
    var collation: String?
    var comment: String?
}

struct TableInfo {
    var oid: String
    var schema: String
    var name: String
    var qualified: String
    var quotedSchema: String
    var owner: String
    var unlogged: Bool
    var options: String?
    var comment: String?
    var columns: [ColumnInfo] = []
}

struct SequenceInfo {
    var oid: String
    var schema: String
    var name: String
    var qualified: String
    var owner: String
    var type: String
    var start: Int64, increment: Int64, min: Int64, max: Int64, cache: Int64
    var cycle: Bool
    var ownedByTable: String?
    var ownedByColumn: String?
    var comment: String?
    var lastValue: Int64 = 0
    var isCalled = false
}

struct ConstraintInfo {
    var oid: String
    var tableOID: String
    var name: String
    var quoted: String
    var type: Character
    var definition: String
    var validated: Bool
    var comment: String?
}

struct IndexInfo {
    var oid: String
    var tableOID: String
    var name: String
    var quoted: String
    var definition: String
    var clustered: Bool
    var comment: String?
}

struct CatalogSnapshot {
    var encoding: String
    var schemas: [SchemaInfo] = []
    var tables: [TableInfo] = []
    var sequences: [SequenceInfo] = []
    var constraints: [ConstraintInfo] = []
    var indexes: [IndexInfo] = []
}

/// Namespaces that belong to the user, not the system.
let userNamespaceFilter = """
    n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
    """

/// Objects created by an extension are dumped as the CREATE EXTENSION, never one by one.
func notExtensionMember(_ catalog: String, _ oidColumn: String) -> String {
    """
    NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '\(catalog)'::pg_catalog.regclass
        AND e.objid = \(oidColumn) AND e.deptype = 'e')
    """
}

struct CatalogReader {
    let connection: Connection

    /// Tables and sequences to lock before reading the rest of the catalog.
    func relationsToLock() throws -> [String] {
        try connection.query("""
            SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY 1
            """
        ).rows.map { try $0.get(0, as: String.self) }
    }

    func read() throws -> CatalogSnapshot {
        let encoding = try connection.query("SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()").rows[0].get(0, as: String.self)
        var snapshot = CatalogSnapshot(encoding: encoding)

        snapshot.schemas = try connection.query("""
            SELECT n.oid, n.nspname, pg_catalog.quote_ident(n.nspname) AS q,
                   pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
                   pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment
            FROM pg_catalog.pg_namespace n
            WHERE \(userNamespaceFilter) AND n.nspname <> 'public'
              AND \(notExtensionMember("pg_catalog.pg_namespace", "n.oid"))
            ORDER BY n.nspname
            """
        ).rows.map {
            SchemaInfo(
                oid: try $0.get("oid"), name: try $0.get("nspname"), quoted: try $0.get("q"),
                owner: try $0.get("owner"), comment: $0["comment"])
        }

        snapshot.tables = try connection.query("""
            SELECT c.oid, n.nspname, c.relname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS qualified,
                   pg_catalog.quote_ident(n.nspname) AS qschema,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relpersistence = 'u' AS unlogged,
                   pg_catalog.array_to_string(c.reloptions, ', ') AS options,
                   pg_catalog.obj_description(c.oid, 'pg_class') AS comment
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND \(userNamespaceFilter)
              AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname
            """
        ).rows.map {
            TableInfo(
                oid: try $0.get("oid"), schema: try $0.get("nspname"), name: try $0.get("relname"),
                qualified: try $0.get("qualified"), quotedSchema: try $0.get("qschema"), owner: try $0.get("owner"),
                unlogged: try $0.get("unlogged"), options: $0["options"].flatMap { $0.isEmpty ? nil : $0 },
                comment: $0["comment"])
        }
        let tableOIDs = "{" + snapshot.tables.map(\.oid).joined(separator: ",") + "}"
        var columnsByTable: [String: [ColumnInfo]] = [:]
        for row in try connection.query("""
            SELECT a.attrelid, a.attname, pg_catalog.quote_ident(a.attname) AS q,
                   pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
                   pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS def,
                   CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                        THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
                   pg_catalog.col_description(a.attrelid, a.attnum) AS comment
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
            WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attrelid, a.attnum
            """, [tableOIDs])
        {
            columnsByTable[try row.get("attrelid"), default: []].append(
                ColumnInfo(
                    name: try row.get("attname"), quoted: try row.get("q"), type: try row.get("type"),
                    notNull: try row.get("attnotnull"), defaultExpr: row["def"], collation: row["collation"],
                    comment: row["comment"]))
        }
        for i in snapshot.tables.indices {
            snapshot.tables[i].columns = columnsByTable[snapshot.tables[i].oid] ?? []
        }

        snapshot.sequences = try connection.query("""
            SELECT c.oid, n.nspname, c.relname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS qualified,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner,
                   pg_catalog.format_type(s.seqtypid, NULL) AS type,
                   s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                   d.refobjid AS owned_table,
                   (SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid) AS owned_column,
                   pg_catalog.obj_description(c.oid, 'pg_class') AS comment
            FROM pg_catalog.pg_sequence s
            JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND d.deptype = 'a'
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname
            """
        ).rows.map {
            SequenceInfo(
                oid: try $0.get("oid"), schema: try $0.get("nspname"), name: try $0.get("relname"),
                qualified: try $0.get("qualified"), owner: try $0.get("owner"), type: try $0.get("type"),
                start: try $0.get("seqstart"), increment: try $0.get("seqincrement"),
                min: try $0.get("seqmin"), max: try $0.get("seqmax"), cache: try $0.get("seqcache"),
                cycle: try $0.get("seqcycle"), ownedByTable: $0["owned_table"], ownedByColumn: $0["owned_column"],
                comment: $0["comment"])
        }
        for i in snapshot.sequences.indices {
            let row = try connection.query("SELECT last_value, is_called FROM \(snapshot.sequences[i].qualified)").rows[0]
            snapshot.sequences[i].lastValue = try row.get(0)
            snapshot.sequences[i].isCalled = try row.get(1)
        }

        snapshot.constraints = try connection.query("""
            SELECT co.oid, co.conrelid, co.conname, pg_catalog.quote_ident(co.conname) AS q, co.contype,
                   pg_catalog.pg_get_constraintdef(co.oid) AS def, co.convalidated,
                   pg_catalog.obj_description(co.oid, 'pg_constraint') AS comment
            FROM pg_catalog.pg_constraint co
            WHERE co.conrelid = ANY($1::pg_catalog.oid[]) AND co.contype IN ('p', 'u', 'f', 'c', 'x')
            ORDER BY co.conrelid, co.conname
            """, [tableOIDs]
        ).rows.map {
            ConstraintInfo(
                oid: try $0.get("oid"), tableOID: try $0.get("conrelid"), name: try $0.get("conname"),
                quoted: try $0.get("q"), type: Character(try $0.get("contype", as: String.self)),
                definition: try $0.get("def"), validated: try $0.get("convalidated"), comment: $0["comment"])
        }

        snapshot.indexes = try connection.query("""
            SELECT i.indexrelid, i.indrelid, ic.relname, pg_catalog.quote_ident(ic.relname) AS q,
                   pg_catalog.pg_get_indexdef(i.indexrelid) AS def, i.indisclustered,
                   pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment
            FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
            WHERE i.indrelid = ANY($1::pg_catalog.oid[])
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                              WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid
                                AND c.contype IN ('p', 'u', 'x'))
            ORDER BY i.indrelid, ic.relname
            """, [tableOIDs]
        ).rows.map {
            IndexInfo(
                oid: try $0.get("indexrelid"), tableOID: try $0.get("indrelid"), name: try $0.get("relname"),
                quoted: try $0.get("q"), definition: try $0.get("def"), clustered: try $0.get("indisclustered"),
                comment: $0["comment"])
        }
        return snapshot
    }
}

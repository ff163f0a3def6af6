import PGWire

/// One row of readRelations' pg_class query, decoded once. A value the DDL cannot do without
/// (a view's definition, a foreign table's server) is required for that kind only, so a
/// missing one fails the dump naming the column instead of writing broken DDL.
struct RelationRow {
    let oid: String
    let name: String
    let schema: String
    /// schema.name, each quoted as quote_ident quotes it.
    let q: String
    let owner: String
    /// pg_class.relkind: r, p, f (tables), v, m (views), S (sequences).
    let relkind: String
    /// pg_class.relpersistence: p, u (unlogged), t.
    let persistence: String?
    let isPartition: Bool
    let acl: String?
    let comment: String?
    /// reloptions joined with ", ".
    let options: String?
    let rowSecurity: Bool
    let forceRowSecurity: Bool
    /// pg_class.relreplident: d, n, f, i.
    let replicaIdentity: String?
    let isPopulated: Bool
    /// pg_get_partkeydef, for partitioned tables.
    let partitionKey: String?
    /// pg_get_expr of relpartbound, for partitions.
    let partitionBound: String?
    /// The qualified parents, in inhseqno order, joined with ", ".
    let parents: String?
    /// A partition's parent.
    let parentOID: String?
    /// pg_get_viewdef, for views and materialized views.
    let viewDefinition: String?
    let foreignServer: String?
    let foreignOptions: String?
    /// format_type of reloftype, for typed tables.
    let ofType: String?
    let accessMethod: String?
    /// Its tablespace; nil for the database's default (or when the dump leaves tablespaces out).
    var tablespace: String?
}

extension RelationRow {
    init(_ row: Row) throws {
        oid = row["oid"] ?? "0"
        name = try row.get("relname")
        schema = try row.get("nspname")
        q = try row.get("q")
        owner = try row.get("owner")
        relkind = try row.get("relkind")
        persistence = row["relpersistence"]
        isPartition = row["relispartition"] == "t"
        acl = row["acl"]
        comment = row["comment"]
        options = row["options"]
        rowSecurity = row["relrowsecurity"] == "t"
        forceRowSecurity = row["relforcerowsecurity"] == "t"
        replicaIdentity = row["relreplident"]
        isPopulated = row["relispopulated"] == "t"
        partitionKey = row["partkey"]
        partitionBound = row["partbound"]
        parents = row["parents"]
        parentOID = row["parent_oid"]
        viewDefinition = ["v", "m"].contains(relkind) ? try row.get("viewdef", as: String.self) : row["viewdef"]
        foreignServer = relkind == "f" ? try row.get("foreign_server", as: String.self) : row["foreign_server"]
        foreignOptions = row["foreign_options"]
        ofType = row["oftype"]
        accessMethod = row["amname"]
        tablespace = row["tablespace"]
    }

    var key: ObjectKey { SchemaReader.key(CatalogID.pgClass, oid) }
}

/// One row of readColumns' pg_attribute query, decoded once.
struct ColumnRow {
    /// The relation's OID.
    let tableOID: String
    let name: String
    /// quote_ident(attname).
    let q: String
    /// format_type of the column's type and typmod.
    let type: String
    let notNull: Bool
    let isLocal: Bool
    /// The expression of a stored generated column.
    let generated: String?
    /// pg_attribute.attidentity: a (ALWAYS) or d (BY DEFAULT); nil when not an identity.
    let identity: String?
    /// The identity's sequence, qualified.
    let identitySequence: String?
    /// The identity sequence's options, one per line, indented, as ADD GENERATED takes them.
    let identityOptions: String?
    /// Qualified collation, when not the type's.
    let collation: String?
    let comment: String?
    let acl: String?
    let statisticsTarget: String?
    /// PLAIN, EXTERNAL, MAIN or EXTENDED, when not the type's.
    let storage: String?
    /// attoptions joined with ", ".
    let options: String?
    /// pglz or lz4, when set.
    let compression: String?
    let foreignOptions: String?
    /// Name of the column's NOT NULL constraint (PostgreSQL 18).
    let notNullName: String?
    /// Whether a parent's column of that name is NOT NULL.
    let parentNotNull: Bool
    /// A parent's generation expression for the column.
    let parentGenerated: String?
}

extension ColumnRow {
    init(_ row: Row) throws {
        tableOID = try row.get("attrelid")
        name = try row.get("attname")
        q = try row.get("q")
        type = try row.get("type")
        notNull = row["attnotnull"] == "t"
        isLocal = row["attislocal"] == "t"
        generated = row["generated"]
        identity = row["identity"]
        identitySequence = row["identity_seq"]
        identityOptions = row["identity_options"]
        collation = row["collation"]
        comment = row["comment"]
        acl = row["attacl"]
        statisticsTarget = row["stattarget"]
        storage = row["storage"]
        options = row["attoptions"]
        compression = row["compression"]
        foreignOptions = row["fdwoptions"]
        notNullName = row["nn_name"]
        parentNotNull = row["parent_notnull"] == "t"
        parentGenerated = row["parent_generated"]
    }
}

/// A validated CHECK constraint written inside CREATE TABLE.
struct CheckRow {
    let tableOID: String
    let name: String
    /// quote_ident(conname).
    let q: String
    /// pg_get_constraintdef.
    let definition: String
    let comment: String?
}

extension CheckRow {
    init(_ row: Row) throws {
        tableOID = try row.get("conrelid")
        name = try row.get("conname")
        q = try row.get("q")
        definition = try row.get("def")
        comment = row["comment"]
    }
}

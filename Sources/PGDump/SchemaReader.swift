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
}

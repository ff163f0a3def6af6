import PGWire

extension SchemaReader {
    /// Adds pg_depend's normal and automatic dependencies between dumped objects.
    mutating func readDependencies() throws {
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
        // Dependencies set while reading may name an index that a constraint makes (the INDEX
        // ATTACH of a partition's primary key names both indexes): resolved to the constraint,
        // as pg_depend's are, or pg_restore -j may attach before the partition's key exists.
        for i in objects.indices {
            objects[i].dependencies = Set(objects[i].dependencies.map { resolve($0) ?? $0 })
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
}

import PGWire

extension SchemaReader {
    /// Event triggers, as pg_dump's dumpEventTrigger writes them: post-data, and replayed after
    /// everything else (RestorePasses), so they never fire on the restore's own DDL.
    mutating func readEventTriggers() throws {
        for row in try rows("""
            SELECT et.oid, et.evtname, pg_catalog.quote_ident(et.evtname) AS q, et.evtevent, et.evtenabled,
                   pg_catalog.pg_get_userbyid(et.evtowner) AS owner, et.evtfoid::pg_catalog.regproc::text AS function,
                   pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_literal(t) FROM pg_catalog.unnest(et.evttags) AS t), ', ') AS tags,
                   pg_catalog.obj_description(et.oid, 'pg_event_trigger') AS comment
            FROM pg_catalog.pg_event_trigger et
            WHERE \(notExtensionMember("pg_catalog.pg_event_trigger", "et.oid"))
            ORDER BY et.evtname
            """)
        {
            let name: String = try row.get("evtname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            var defn = "CREATE EVENT TRIGGER \(q) ON \(try row.get("evtevent", as: String.self))\n"
            if let tags = row["tags"], !tags.isEmpty { defn += "         WHEN TAG IN (\(tags))\n" }
            defn += "   EXECUTE FUNCTION \(try row.get("function", as: String.self))();\n"
            switch row["evtenabled"] {
            case "D": defn += "\nALTER EVENT TRIGGER \(q) DISABLE;\n"
            case "R": defn += "\nALTER EVENT TRIGGER \(q) ENABLE REPLICA;\n"
            case "A": defn += "\nALTER EVENT TRIGGER \(q) ENABLE ALWAYS;\n"
            default: break
            }
            var entries = [Self.entry(name, "EVENT TRIGGER", .postData, defn: defn, drop: "DROP EVENT TRIGGER \(q);\n", owner: owner, tableOID: String(CatalogID.pgEventTrigger), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "EVENT TRIGGER \(q)", tag: "EVENT TRIGGER \(name)", namespace: nil, owner: owner) { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgEventTrigger, row["oid"]), kind: .eventTrigger, sortName: name, entries: entries))
        }
    }
}

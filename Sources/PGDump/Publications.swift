import PGWire

extension SchemaReader {
    /// Publications, their tables (with column lists and row filters) and their schemas, as
    /// pg_dump's dumpPublication, dumpPublicationTable and dumpPublicationNamespace write them:
    /// all post-data, a table or schema added by ALTER PUBLICATION once both exist. A table or
    /// schema left out of the dump takes its membership with it, as with pg_dump.
    mutating func readPublications() throws {
        guard !options.noPublications else { return }
        for row in try rows("""
            SELECT p.oid, p.pubname, pg_catalog.quote_ident(p.pubname) AS q, pg_catalog.pg_get_userbyid(p.pubowner) AS owner,
                   p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot,
                   pg_catalog.obj_description(p.oid, 'pg_publication') AS comment
            FROM pg_catalog.pg_publication p
            ORDER BY p.pubname
            """)
        {
            let name: String = try row.get("pubname"), q: String = try row.get("q"), owner: String = try row.get("owner")
            let actions = [("pubinsert", "insert"), ("pubupdate", "update"), ("pubdelete", "delete"), ("pubtruncate", "truncate")]
                .filter { row[$0.0] == "t" }.map(\.1)
            var defn = "CREATE PUBLICATION \(q)"
            if row["puballtables"] == "t" { defn += " FOR ALL TABLES" }
            defn += " WITH (publish = '\(actions.joined(separator: ", "))'"
            if row["pubviaroot"] == "t" { defn += ", publish_via_partition_root = true" }
            defn += ");\n"
            var entries = [Self.entry(name, "PUBLICATION", .postData, defn: defn, drop: "DROP PUBLICATION \(q);\n", owner: owner, tableOID: String(CatalogID.pgPublication), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "PUBLICATION \(q)", tag: "PUBLICATION \(name)", namespace: nil, owner: owner) { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgPublication, row["oid"]), kind: .publication, sortName: name, entries: entries))
        }
        for row in try rows("""
            SELECT pr.oid, pr.prpubid, pr.prrelid, p.pubname, pg_catalog.quote_ident(p.pubname) AS qpub,
                   pg_catalog.pg_get_userbyid(p.pubowner) AS owner, c.relname, n.nspname,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS q,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.n)
                    FROM pg_catalog.unnest(pr.prattrs::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = k.attnum) AS columns,
                   pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS filter
            FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
            JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(userNamespaceFilter) AND \(notExtensionMember("pg_catalog.pg_class", "c.oid"))
            ORDER BY p.pubname, n.nspname, c.relname
            """)
        {
            let publication: String = try row.get("pubname"), table: String = try row.get("relname")
            var defn = "ALTER PUBLICATION \(try row.get("qpub", as: String.self)) ADD TABLE ONLY \(try row.get("q", as: String.self))"
            if let columns = row["columns"] { defn += " (\(columns))" }
            if let filter = row["filter"] { defn += " WHERE (\(filter))" }
            defn += ";\n"
            let schema: String = try row.get("nspname")
            var object = DumpObject(
                key: Self.key(CatalogID.pgPublicationRel, row["oid"]), kind: .publicationTable, sortName: "\(publication).\(schema).\(table)",
                entries: [Self.entry("\(publication) \(table)", "PUBLICATION TABLE", .postData, defn: defn, namespace: schema, owner: try row.get("owner"), tableOID: String(CatalogID.pgPublicationRel), oid: row["oid"] ?? "0")])
            object.dependencies = [Self.key(CatalogID.pgPublication, row["prpubid"]), Self.key(CatalogID.pgClass, row["prrelid"])]
            add(object)
        }
        // FOR TABLES IN SCHEMA (PostgreSQL 15 and later).
        guard connection.serverVersionNumber >= 150000 else { return }
        for row in try rows("""
            SELECT pn.oid, pn.pnpubid, pn.pnnspid, p.pubname, pg_catalog.quote_ident(p.pubname) AS qpub,
                   pg_catalog.pg_get_userbyid(p.pubowner) AS owner, n.nspname, pg_catalog.quote_ident(n.nspname) AS qschema
            FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
            JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
            WHERE \(userNamespaceFilter)
            ORDER BY p.pubname, n.nspname
            """)
        {
            let publication: String = try row.get("pubname"), schema: String = try row.get("nspname")
            var object = DumpObject(
                key: Self.key(CatalogID.pgPublicationNamespace, row["oid"]), kind: .publicationSchema, sortName: "\(publication).\(schema)",
                entries: [Self.entry("\(publication) \(schema)", "PUBLICATION TABLES IN SCHEMA", .postData,
                                     defn: "ALTER PUBLICATION \(try row.get("qpub", as: String.self)) ADD TABLES IN SCHEMA \(try row.get("qschema", as: String.self));\n",
                                     namespace: schema, owner: try row.get("owner"), tableOID: String(CatalogID.pgPublicationNamespace), oid: row["oid"] ?? "0")])
            object.dependencies = [Self.key(CatalogID.pgPublication, row["pnpubid"]), Self.key(CatalogID.pgNamespace, row["pnnspid"])]
            add(object)
        }
    }

    /// The database's subscriptions, as pg_dump's dumpSubscription writes them: created with
    /// connect = false, so restoring one neither reaches the publisher nor makes a slot (the
    /// restored subscription is disabled until ALTER SUBSCRIPTION ... ENABLE, after REFRESH).
    /// Its connection string may hold a password; pg_dump writes it as it is, and so do we.
    mutating func readSubscriptions() throws {
        guard !options.noSubscriptions else { return }
        let subscriptions = try rows("""
            SELECT s.oid, s.subname, pg_catalog.quote_ident(s.subname) AS q, pg_catalog.pg_get_userbyid(s.subowner) AS owner,
                   pg_catalog.obj_description(s.oid, 'pg_subscription') AS comment
            FROM pg_catalog.pg_subscription s
            WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
            ORDER BY s.subname
            """)
        guard !subscriptions.isEmpty else { return }
        // The connection strings are readable by superusers only (pg_dump skips subscriptions otherwise).
        guard try rows("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER")[0]["rolsuper"] == "t" else {
            throw DumpError(
                .unsupportedObject,
                "the database has \(subscriptions.count) subscription(s) (\(subscriptions.compactMap { $0["subname"] }.joined(separator: ", "))), and only a superuser can read them; no backup was written. Back up as a superuser, or leave subscriptions out with --no-subscriptions.",
                object: subscriptions.first?["subname"])
        }
        for row in subscriptions {
            // to_jsonb reads the columns this server version has (streaming, origin, ... vary).
            let s = try rows("""
                SELECT x ->> 'subconninfo' AS conninfo, x ->> 'subslotname' AS slot, s.subsynccommit AS synccommit,
                       pg_catalog.quote_ident(s.subsynccommit) AS qsynccommit,
                       x ->> 'subbinary' AS binary, x ->> 'substream' AS stream, x ->> 'subtwophasestate' AS twophase,
                       x ->> 'subdisableonerr' AS disableonerr, x ->> 'subpasswordrequired' AS passwordrequired,
                       x ->> 'subrunasowner' AS runasowner, x ->> 'suborigin' AS origin,
                       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(p), ', ' ORDER BY n) FROM pg_catalog.unnest(s.subpublications) WITH ORDINALITY AS u(p, n)) AS publications
                FROM pg_catalog.pg_subscription s, LATERAL pg_catalog.to_jsonb(s) AS x WHERE s.oid = $1::pg_catalog.oid
                """, [row["oid"]])[0]
            let name: String = try row.get("subname"), owner: String = try row.get("owner")
            let q: String = try row.get("q")
            var defn = "CREATE SUBSCRIPTION \(q) CONNECTION \(quoteLiteral(try s.get("conninfo"))) PUBLICATION \(s["publications"] ?? "")"
            defn += " WITH (connect = false, slot_name = \(s["slot"].map(quoteLiteral) ?? "NONE")"
            if s["binary"] == "true" { defn += ", binary = true" }
            switch s["stream"] {
            case "true", "t": defn += ", streaming = on"
            case "p": defn += ", streaming = parallel"
            default: break
            }
            if let twoPhase = s["twophase"], twoPhase != "d" { defn += ", two_phase = on" }
            if s["disableonerr"] == "true" { defn += ", disable_on_error = true" }
            if s["passwordrequired"] == "false" { defn += ", password_required = false" }
            if s["runasowner"] == "true" { defn += ", run_as_owner = true" }
            if let origin = s["origin"], origin.lowercased() != "any" { defn += ", origin = \(origin)" }
            if s["synccommit"] != "off", let commit = s["qsynccommit"] { defn += ", synchronous_commit = \(commit)" }
            defn += ");\n"
            var entries = [Self.entry(name, "SUBSCRIPTION", .postData, defn: defn, drop: "DROP SUBSCRIPTION \(q);\n", owner: owner, tableOID: String(CatalogID.pgSubscription), oid: row["oid"] ?? "0")]
            if let c = comment(row["comment"], target: "SUBSCRIPTION \(q)", tag: "SUBSCRIPTION \(name)", namespace: nil, owner: owner) { entries.append(c) }
            add(DumpObject(key: Self.key(CatalogID.pgSubscription, row["oid"]), kind: .subscription, sortName: name, entries: entries))
        }
    }
}

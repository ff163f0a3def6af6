import PGWire

/// Large objects travel as pg_dump 15/16 (archive 1.14/1.15) writes them: a pre-data "BLOB"
/// entry per object (`lo_create`, its owner, then its comment and ACL entries), and one
/// "BLOBS" data entry whose block holds every object's content.
enum LargeObjects {
    /// Bytes read (`lo_get`) or written (`lo_put`) per statement: memory stays bounded by a
    /// few of these whatever an object's size.
    static let chunkSize = 1 << 20

    /// `ObjectKey` of the one BLOBS entry.
    static let blobsKey = ObjectKey(catalog: 7, oid: 0)
}

extension SchemaReader {
    /// Every large object, unless --no-large-objects. Returns their OIDs, whose content the
    /// dump writes into the BLOBS block.
    mutating func readLargeObjects() throws -> [UInt32] {
        guard !options.noLargeObjects else { return [] }
        var oids: [UInt32] = []
        for row in try rows("""
            SELECT l.oid, pg_catalog.pg_get_userbyid(l.lomowner) AS owner, l.lomacl::text AS acl,
                   pg_catalog.acldefault('L', l.lomowner)::text AS base,
                   pg_catalog.obj_description(l.oid, 'pg_largeobject') AS comment
            FROM pg_catalog.pg_largeobject_metadata l
            ORDER BY l.oid
            """)
        {
            let oidText = row["oid"] ?? "0", owner: String = try row.get("owner")
            guard let oid = UInt32(oidText) else { continue }
            oids.append(oid)
            var entries = [Self.entry(
                oidText, "BLOB", .preData, defn: "SELECT pg_catalog.lo_create('\(oidText)');\n",
                drop: "SELECT pg_catalog.lo_unlink('\(oidText)');\n", owner: owner, tableOID: String(CatalogID.pgLargeObject), oid: oidText)]
            if let c = comment(row["comment"], target: "LARGE OBJECT \(oidText)", tag: "LARGE OBJECT \(oidText)", namespace: nil, owner: owner) { entries.append(c) }
            if !options.noACL, let acl = row["acl"] {
                let sql = try pgDumpACLCommands(acl: acl, base: row["base"] ?? "{}", type: "LARGE OBJECT", name: oidText, owner: owner)
                if !sql.isEmpty { entries.append(Self.entry("LARGE OBJECT \(oidText)", "ACL", .none, defn: sql, owner: owner)) }
            }
            add(DumpObject(key: ObjectKey(catalog: CatalogID.pgLargeObject, oid: oid), kind: .blob, sortName: oidText, entries: entries))
        }
        if !oids.isEmpty {
            var blobs = Self.entry("BLOBS", "BLOBS", .data, defn: nil)
            blobs.hadDumper = true
            blobs.dataOffset = .notSet
            add(DumpObject(key: LargeObjects.blobsKey, kind: .blobData, sortName: "BLOBS", entries: [blobs]))
        }
        return oids
    }
}

extension DatabaseDumper {
    /// Writes the BLOBS block: each object's content read with server-side `lo_get` in
    /// chunks, inside the dump's snapshot, so a non-superuser with SELECT on the objects can
    /// dump them and memory stays bounded.
    /// - Returns: the number of content bytes written.
    func writeLargeObjects(_ oids: [UInt32], dumpId: Int32, to encoder: CustomArchiveEncoder) throws -> Int64 {
        try encoder.beginLargeObjects(dumpId: dumpId)
        var total: Int64 = 0
        for oid in oids {
            try encoder.beginLargeObject(oid: oid)
            var offset: Int64 = 0
            while true {
                let hex = try connection.query(
                    "SELECT pg_catalog.encode(pg_catalog.lo_get($1::pg_catalog.oid, $2::pg_catalog.int8, $3::pg_catalog.int4), 'hex')",
                    [String(oid), String(offset), String(LargeObjects.chunkSize)]
                ).rows.first?[0] ?? ""
                let bytes = try decodeHex(hex)
                try encoder.writeData(bytes)
                offset += Int64(bytes.count)
                if bytes.count < LargeObjects.chunkSize { break }
            }
            total += offset
            try encoder.endLargeObject()
        }
        try encoder.endLargeObjects()
        return total
    }
}

extension RestoreEngine {
    /// Loads a BLOBS block into objects its BLOB entries created, in one transaction as
    /// pg_restore does, each written with `lo_put` in bounded chunks.
    /// - Returns: how many objects were loaded.
    func loadLargeObjects(from decoder: CustomArchiveDecoder, entry: TOCEntry, on connection: Connection) throws -> Int {
        try connection.execute("BEGIN")
        var count = 0
        do {
            var pending: [UInt8] = []
            pending.reserveCapacity(LargeObjects.chunkSize)
            while let oid = try decoder.nextLargeObject() {
                var offset: Int64 = 0
                func flush() throws {
                    guard !pending.isEmpty else { return }
                    _ = try connection.query(
                        "SELECT pg_catalog.lo_put($1::pg_catalog.oid, $2::pg_catalog.int8, pg_catalog.decode($3, 'hex'))",
                        [String(oid), String(offset), encodeHex(pending)])
                    offset += Int64(pending.count)
                    pending.removeAll(keepingCapacity: true)
                }
                try decoder.readTableData { chunk in
                    var rest = chunk
                    while !rest.isEmpty {
                        let n = min(rest.count, LargeObjects.chunkSize - pending.count)
                        pending.append(contentsOf: rest.prefix(n))
                        rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(n))
                        if pending.count == LargeObjects.chunkSize { try flush() }
                    }
                }
                try flush()
                count += 1
            }
            try connection.execute("COMMIT")
        } catch let error as PGError {
            if connection.isAlive { try? connection.execute("ROLLBACK") }
            throw RestoreError(entry: entry, underlying: error)
        } catch {
            if connection.isAlive { try? connection.execute("ROLLBACK") }
            throw error
        }
        return count
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

func encodeHex(_ bytes: [UInt8]) -> String {
    var out = [UInt8](repeating: 0, count: bytes.count * 2)
    for (i, byte) in bytes.enumerated() {
        out[2 * i] = hexDigits[Int(byte >> 4)]
        out[2 * i + 1] = hexDigits[Int(byte & 0x0F)]
    }
    return String(decoding: out, as: UTF8.self)
}

func decodeHex(_ text: String) throws -> [UInt8] {
    var text = text
    return try text.withUTF8 { try decodeHex($0) }
}

private func decodeHex(_ raw: UnsafeBufferPointer<UInt8>) throws -> [UInt8] {
    func value(_ c: UInt8) throws -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: throw DumpError(.corrupt, "the server sent a large object's content with a non-hex character")
        }
    }
    guard raw.count % 2 == 0 else { throw DumpError(.corrupt, "the server sent a large object's content as odd-length hex") }
    var out = [UInt8](repeating: 0, count: raw.count / 2)
    for i in 0..<out.count {
        out[i] = try value(raw[2 * i]) << 4 | value(raw[2 * i + 1])
    }
    return out
}

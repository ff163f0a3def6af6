import Foundation
import PGWire

/// Options for one dump.
public struct DumpOptions: Sendable {
    /// Take the snapshot as SERIALIZABLE READ ONLY DEFERRABLE (waits for a safe snapshot).
    public var serializableDeferrable = false
    /// How long to wait for the ACCESS SHARE locks (PostgreSQL interval text, e.g. "30s"); nil waits forever.
    public var lockTimeout: String?
    /// Written into the archive header where pg_dump writes its version.
    public var dumperVersion = "sentient-snap"
    /// Leave out GRANT/REVOKE (pg_dump --no-acl).
    public var noACL = false
    /// Leave out object owners (pg_dump --no-owner).
    public var noOwner = false
    /// Schemas left out entirely, with everything in them (pg_dump --exclude-schema).
    public var excludeSchemas: [String] = []
    /// Leave large objects out of the dump (pg_dump --no-large-objects).
    public var noLargeObjects = false
    /// Leave publications (and their tables and schemas) out (pg_dump --no-publications).
    public var noPublications = false
    /// Leave subscriptions out (pg_dump --no-subscriptions).
    public var noSubscriptions = false
    /// Leave every COMMENT out (pg_dump --no-comments).
    public var noComments = false
    /// Leave security labels out instead of refusing them (pg_dump --no-security-labels).
    public var noSecurityLabels = false
    /// Put every relation in the database's default tablespace (pg_dump --no-tablespaces).
    public var noTablespaces = false
    public init() {}

    /// What these options leave out of the dump, in words, for the manifest (empty when nothing).
    public var leftOut: [String] {
        var out = excludeSchemas.map { "schema \($0)" }
        if noLargeObjects { out.append("large objects") }
        if noPublications { out.append("publications") }
        if noSubscriptions { out.append("subscriptions") }
        if noComments { out.append("comments") }
        if noSecurityLabels { out.append("security labels") }
        if noTablespaces { out.append("tablespaces") }
        return out
    }
}

/// What `prepare()` found: the tables to dump and facts for the manifest.
public struct DumpPlan: Sendable {
    public var tables: [PlannedTable]
    public var sequenceCount: Int
    public var entryCount: Int
    public var serverVersion: String
    public var serverVersionNumber: Int
    public var database: String
    public var snapshotTime: Date
    /// Large objects dumped (their content goes into the BLOBS block).
    public var largeObjectCount: Int { largeObjects.count }
    fileprivate var entries: [TOCEntry]
    fileprivate var largeObjects: [UInt32] = []
}

/// Row and byte counts of one dumped table.
public struct TableDumpStats: Sendable, Codable, Equatable {
    public var schema: String
    public var name: String
    public var rows: Int64
    public var bytes: Int64
}

/// Progress while table data streams.
public struct DumpProgress: Sendable {
    public var table: String
    public var tableIndex: Int
    public var tableCount: Int
    public var rows: Int64
    public var bytes: Int64
}

/// Dumps one database into a custom-format archive from a single REPEATABLE READ
/// snapshot, without pg_dump: catalog queries for the schema, `COPY ... TO STDOUT` for data.
///
/// Call `prepare()`, then `write(_:to:)`, then `finish()`; `abort()` on failure.
public final class DatabaseDumper {
    public let connection: Connection
    private let options: DumpOptions
    private var inTransaction = false

    public init(connection: Connection, options: DumpOptions = DumpOptions()) {
        self.connection = connection
        self.options = options
    }

    /// Opens the snapshot, locks the tables and reads the catalog.
    /// - Throws: `DumpError(.unsupportedObject)` listing every object the dump cannot
    ///   reproduce; `PGError` for connection or lock failures.
    public func prepare() throws -> DumpPlan {
        // Same session settings as pg_dump's setup_connection: exact floats, ISO dates,
        // no search_path (so every name the server deparses is qualified), no RLS filtering.
        let encoding = connection.parameterStatus("server_encoding") ?? "UTF8"
        try connection.execute("""
            SELECT pg_catalog.set_config('search_path', '', false);
            SET client_encoding = \(quoteLiteral(encoding));
            SET standard_conforming_strings = on;
            SET DATESTYLE = ISO;
            SET INTERVALSTYLE = POSTGRES;
            SET extra_float_digits TO 3;
            SET synchronize_seqscans TO off;
            SET statement_timeout = 0;
            SET idle_in_transaction_session_timeout = 0;
            SET row_security = off;
            """)
        let excluded = String(decoding: try JSONEncoder().encode(options.excludeSchemas), as: UTF8.self)
        _ = try connection.query("SELECT pg_catalog.set_config('sentient.exclude_schemas', $1, false)", [excluded])
        if options.serializableDeferrable {
            try connection.execute("BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE")
        } else {
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        }
        inTransaction = true
        let snapshotTime = try connection.query("SELECT pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
            .rows[0].get(0, as: String.self)

        let reader = CatalogReader(connection: connection)
        let lockList = try reader.relationsToLock()
        if !lockList.isEmpty {
            try connection.execute("SET LOCAL lock_timeout = \(quoteLiteral(options.lockTimeout ?? "0"))")
            do {
                try connection.execute("LOCK TABLE \(lockList.joined(separator: ", ")) IN ACCESS SHARE MODE")
            } catch let error as PGError where error.sqlState == "55P03" {
                throw PGError(
                    code: .query,
                    message: "could not lock the room's tables within \(options.lockTimeout ?? "the lock timeout"): another session holds a conflicting lock (e.g. a long ALTER TABLE). Try again later or raise --lock-timeout.",
                    serverMessage: error.serverMessage, sqlState: error.sqlState, endpoint: error.endpoint)
            } catch let error as PGError where error.sqlState == "42P01" {
                throw DumpError(.concurrentChange, "a table was dropped while the backup started (\(error.serverMessage)); run the backup again")
            }
        }

        let unsupported = try UnsupportedObjectScanner(connection: connection).scan()
            .filter { !(options.noSecurityLabels && $0.hasPrefix("security label on ")) }
        if !unsupported.isEmpty {
            let shown = unsupported.prefix(25).map { "  - \($0)" }.joined(separator: "\n")
            let more = unsupported.count > 25 ? "\n  ... and \(unsupported.count - 25) more" : ""
            throw DumpError(
                .unsupportedObject,
                "the database holds \(unsupported.count) object(s) this version of sentient-snap cannot back up faithfully, so no backup was written:\n\(shown)\(more)\nLeave out a schema and everything in it with --exclude-schema NAME, security labels with --no-security-labels.",
                object: unsupported.first)
        }

        var schema = SchemaReader(connection: connection, options: options)
        try schema.read()
        var (entries, tables) = assignDumpIds(sortObjects(schema.objects) + schema.trailingObjects)
        try estimateSizes(&tables)
        if options.noOwner {
            for i in entries.indices { entries[i].owner = nil }
        }
        let sequenceCount = entries.filter { $0.desc == "SEQUENCE SET" }.count
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return DumpPlan(
            tables: tables, sequenceCount: sequenceCount, entryCount: entries.count,
            serverVersion: connection.serverVersion, serverVersionNumber: connection.serverVersionNumber,
            database: connection.database, snapshotTime: formatter.date(from: snapshotTime) ?? Date(),
            entries: entries, largeObjects: schema.largeObjects)
    }

    /// Each table's size and row estimate from the catalog, for progress (no table is read).
    private func estimateSizes(_ tables: inout [PlannedTable]) throws {
        guard !tables.isEmpty else { return }
        let oids = "{" + tables.map { String($0.tableOID) }.joined(separator: ",") + "}"
        let result = try connection.query("""
            SELECT c.oid::pg_catalog.text,
                   (pg_catalog.pg_relation_size(c.oid)
                    + CASE WHEN c.reltoastrelid <> 0 THEN pg_catalog.pg_relation_size(c.reltoastrelid) ELSE 0 END)::pg_catalog.text,
                   c.reltuples::pg_catalog.int8::pg_catalog.text
            FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::pg_catalog.oid[])
            """, [oids])
        var sizes: [UInt32: (Int64, Int64)] = [:]
        for row in result.rows {
            guard let oid = row[0].flatMap(UInt32.init), let bytes = row[1].flatMap(Int64.init), let rows = row[2].flatMap(Int64.init) else { continue }
            sizes[oid] = (bytes, rows)
        }
        for i in tables.indices {
            guard let (bytes, rows) = sizes[tables[i].tableOID] else { continue }
            tables[i].estimatedBytes = bytes
            // reltuples is -1 for a table never vacuumed or analyzed (PostgreSQL 14+), 0 before 14.
            tables[i].estimatedRows = rows > 0 ? rows : nil
        }
    }

    /// Streams the archive: header, TOC, then each table's COPY output as one data block.
    public func write(
        _ plan: DumpPlan, to sink: @escaping CustomArchiveEncoder.Sink,
        progress: ((DumpProgress) -> Void)? = nil
    ) throws -> [TableDumpStats] {
        let encoder = CustomArchiveEncoder(sink: sink)
        try encoder.writeHeader(DumpHeader(
            createdAt: plan.snapshotTime, databaseName: plan.database, serverVersion: plan.serverVersion,
            dumperVersion: options.dumperVersion))
        try encoder.writeTOC(plan.entries)
        var stats: [TableDumpStats] = []
        let trailer = Array("\\.\n\n\n".utf8)
        // Data blocks in TOC order: the tables' (plan.tables is in TOC order) and the BLOBS one.
        let blobsId = plan.entries.first { $0.desc == "BLOBS" }?.dumpId
        var blobsWritten = false
        for (index, table) in plan.tables.enumerated() {
            if let blobsId, !blobsWritten, blobsId < table.dumpId {
                _ = try writeLargeObjects(plan.largeObjects, dumpId: blobsId, to: encoder)
                blobsWritten = true
            }
            try encoder.beginData(dumpId: table.dumpId)
            var rows: Int64 = 0
            var bytes: Int64 = 0
            try connection.copyOut(table.copyOutSQL) { chunk in
                rows += countNewlines(chunk)
                bytes += Int64(chunk.count)
                try encoder.writeData(chunk)
                progress?(DumpProgress(table: table.name, tableIndex: index, tableCount: plan.tables.count, rows: rows, bytes: bytes))
            }
            try encoder.writeData(trailer)
            try encoder.endData()
            stats.append(TableDumpStats(schema: table.schema, name: table.name, rows: rows, bytes: bytes))
        }
        if let blobsId, !blobsWritten {
            _ = try writeLargeObjects(plan.largeObjects, dumpId: blobsId, to: encoder)
        }
        return stats
    }

    /// Ends the snapshot transaction.
    public func finish() throws {
        guard inTransaction else { return }
        inTransaction = false
        try connection.execute("COMMIT")
    }

    /// Rolls back if a transaction is open and the connection still works.
    public func abort() {
        guard inTransaction else { return }
        inTransaction = false
        if connection.isAlive { try? connection.execute("ROLLBACK") }
    }
}

/// COPY text format ends every row with one LF and escapes LFs inside values, so LFs count rows.
func countNewlines(_ bytes: UnsafeRawBufferPointer) -> Int64 {
    guard var cursor = bytes.baseAddress else { return 0 }
    let end = cursor + bytes.count
    var count: Int64 = 0
    while cursor < end, let hit = memchr(cursor, 0x0A, end - cursor) {
        count += 1
        cursor = UnsafeRawPointer(hit) + 1
    }
    return count
}

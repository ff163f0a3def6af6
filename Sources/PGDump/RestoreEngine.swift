import Foundation
import PGWire

/// Options for restoring a dump into a database.
public struct RestoreOptions: Sendable {
    /// Connections for table data (a table's rows are spread over them) and for post-data
    /// items (indexes, constraints), which run in parallel when their dependencies allow.
    public var jobs = 2
    /// Skip `ALTER ... OWNER TO` (objects belong to the restoring user).
    public var noOwner = false
    /// Skip GRANT/REVOKE entries.
    public var noACL = false
    /// Create roles the target lacks (NOLOGIN) instead of refusing.
    public var createRoles = false
    /// COPY text handed to one connection at a time when a table's rows are spread over
    /// `jobs` connections: small enough that the table's physical order survives (rows loaded
    /// side by side stay within a couple of chunks of their place), large enough that hand-offs
    /// cost nothing.
    public var copyChunkBytes = 1 << 20
    /// Send the rows of tables whose columns are all of built-in types the encoder reads
    /// exactly as binary COPY, which spares the server a third of its parsing (see
    /// `CopyBinaryEncoder`); false sends the dump's COPY text as it is.
    public var binaryCopy = true
    /// An index the target cannot build (an expression that needs what this server lacks, such
    /// as earthdistance's ll_to_earth under an empty search_path) is reported and left out,
    /// with what depends on it, instead of stopping the restore. Other items still stop it.
    public var allowIndexFailures = false
    /// Ignore the dump's tablespaces: everything goes to the database's default (pg_restore --no-tablespaces).
    public var noTablespaces = false
    public init() {}
}

/// How many pieces of a table's COPY data went as binary COPY and how many as the text itself,
/// in how many COPY statements (one per connection, and one more each time a connection
/// changes format).
public struct CopyChunks: Sendable, Equatable {
    public var binary = 0
    public var text = 0
    public var copies = 0
    public init(binary: Int = 0, text: Int = 0, copies: Int = 0) {
        (self.binary, self.text, self.copies) = (binary, text, copies)
    }
}

/// What a restore did.
public struct RestoreStats: Sendable {
    public var entries = 0
    /// Rows loaded per table, keyed "schema.table".
    public var rows: [String: Int64] = [:]
    /// COPY data chunks per table sent as binary and as text (see `CopyBinaryEncoder`).
    public var copyChunks: [String: CopyChunks] = [:]
    public var bytes: Int64 = 0
    /// With `allowIndexFailures`: each index that could not be built, "schema.name: reason".
    public var failedIndexes: [String] = []
    /// Entries left out because they need a failed index ("COMMENT INDEX name", ...).
    public var skippedForFailedIndexes: [String] = []
    public init() {}
}

/// Progress while restoring.
public enum RestoreProgress: Sendable {
    case schema(done: Int, total: Int)
    case data(table: String, rows: Int64, bytes: Int64)
    case postData(done: Int, total: Int)
}

/// Restores a custom-format archive into an existing database over libpq, without
/// pg_restore: pre-data in TOC order, table data with `COPY ... FROM STDIN` streamed from the
/// archive, then post-data on `jobs` connections by dependency, then ACLs.
///
/// Unlike pg_restore's default it stops at the first failing statement and names the entry.
public final class RestoreEngine: Sendable {
    private let target: ConnectionSettings
    let options: RestoreOptions

    public init(target: ConnectionSettings, options: RestoreOptions = RestoreOptions()) {
        self.target = target
        self.options = options
    }


    /// - Throws: `RestoreError` naming the TOC entry and the server's message; `DumpError`
    ///   for a damaged archive; `PGError` for connection failures.
    public func restore(
        from decoder: CustomArchiveDecoder, progress: (@Sendable (RestoreProgress) -> Void)? = nil
    ) throws -> RestoreStats {
        if decoder.header == nil { _ = try decoder.readHeader() }
        let entries = try decoder.readTOC()
        var stats = RestoreStats()

        // pg_dump 17+ (archive 1.16) groups large objects into BLOB METADATA entries.
        for entry in entries where entry.desc == "BLOB METADATA" {
            throw DumpError(.unsupported, "the dump holds large objects as pg_dump 17 or later writes them (BLOB METADATA \(entry.tag)), which this restore cannot load yet; restore it with pg_restore", object: entry.tag)
        }

        let connection = try Connection(target)
        try checkRoles(entries, on: connection)
        try checkTablespaces(entries, on: connection)
        let preamble = try Self.preamble(entries: entries, serverVersion: connection.serverVersionNumber)
        try connection.execute(preamble)
        // The dumped database's own comment, settings and grants, applied to this one.
        for entry in entries where entry.desc == "DATABASE PROPERTIES" {
            guard !options.noACL || !(entry.defn ?? "").contains("GRANT ") else { continue }
            let defn = Self.retarget(entry.defn ?? "", from: entry.tag, to: connection.database)
            do {
                try connection.execute(defn)
            } catch let error as PGError {
                throw RestoreError(entry: entry, underlying: error)
            }
        }

        let passes = RestorePasses(entries)
        let pre = passes.preData, data = passes.data, post = passes.postData

        // Pass 1a: pre-data, serially in TOC order.
        var tableAM: String?
        for (n, index) in pre.enumerated() {
            if let set = Self.tableAccessMethodStatement(entries[index], current: &tableAM) {
                do {
                    try connection.execute(set)
                } catch let error as PGError {
                    throw RestoreError(entry: entries[index], underlying: error)
                }
            }
            try run(entries[index], on: connection)
            stats.entries += 1
            progress?(.schema(done: n + 1, total: pre.count))
        }

        // The connections table data and post-data share: the pre-data one and jobs - 1 more.
        let connections = try openConnections(first: connection, needed: !data.isEmpty || post.count > 1)

        // Pass 1b: data. Blocks are in TOC order, so one forward pass over the file serves.
        let ordered = Self.keepsPhysicalOrder(entries)
        let encoders = options.binaryCopy && !data.isEmpty ? try Self.binaryEncoders(on: connection) : [:]
        for index in data {
            let entry = entries[index]
            if entry.hadDumper && entry.desc == "BLOBS" {
                try decoder.seekBlock(for: entry)
                _ = try loadLargeObjects(from: decoder, entry: entry, on: connection)
            } else if entry.hadDumper {
                try decoder.seekBlock(for: entry)
                let qualified = "\(entry.namespace ?? "").\(entry.tag)"
                if let copy = entry.copyStmt, !copy.isEmpty {
                    var bytes: Int64 = 0
                    var lines: Int64 = 0
                    let plain = Self.isPlainCopy(copy)
                    let lanes = plain && !ordered.contains(qualified) ? connections : [connection]
                    let binary = plain ? Self.binaryForm(of: copy, encoders: encoders) : nil
                    let loaded: (rows: Int64, chunks: CopyChunks)
                    do {
                        loaded = try ParallelCopyIn(connections: lanes, chunkSize: options.copyChunkBytes).load(copy, binary: binary, from: { try decoder.readTableData($0) }) { chunk in
                            bytes += Int64(chunk.count)
                            lines += countNewlines(chunk)
                            progress?(.data(table: qualified, rows: lines, bytes: bytes))
                        }
                    } catch let error as PGError {
                        throw RestoreError(entry: entry, underlying: binary == nil ? error : Self.hintingTextCopy(error))
                    }
                    // The servers' own count: the `\.` end marker and blank lines are not rows.
                    stats.rows[qualified] = loaded.rows
                    stats.copyChunks[qualified] = loaded.chunks
                    stats.bytes += bytes
                } else {
                    var sql: [UInt8] = []
                    try decoder.readTableData { sql.append(contentsOf: $0) }
                    do {
                        try connection.execute(String(decoding: sql, as: UTF8.self))
                    } catch let error as PGError {
                        throw RestoreError(entry: entry, underlying: error)
                    }
                }
            } else {
                try run(entry, on: connection)
            }
            stats.entries += 1
        }

        // Pass 1c: post-data on parallel connections, by dependency.
        let tables = Set(entries.filter { $0.desc == "TABLE" || $0.desc == "TABLE DATA" }.map(\.dumpId))
        let leftOut = try runParallel(post.map { entries[$0] }, tables: tables, on: connections, progress: progress)
        stats.failedIndexes = leftOut.failed
        stats.skippedForFailedIndexes = leftOut.skipped
        stats.entries += post.count - leftOut.failed.count - leftOut.skipped.count

        // Passes 2 and 3: ACLs, then materialized view data and event triggers.
        for index in passes.acl where !options.noACL {
            try run(entries[index], on: connection)
            stats.entries += 1
        }
        for index in passes.last {
            try run(entries[index], on: connection)
            stats.entries += 1
        }
        return stats
    }

    /// Points `... DATABASE <source> ...` statements at the database being restored into;
    /// the name may appear quoted or bare (as quote_ident left it).
    static func retarget(_ sql: String, from source: String, to target: String) -> String {
        let quoted = NSRegularExpression.escapedPattern(for: quoteIdentifier(source))
        let bare = NSRegularExpression.escapedPattern(for: source)
        guard let pattern = try? NSRegularExpression(pattern: "DATABASE (\(quoted)|\(bare))(?=[\\s;])") else { return sql }
        let replacement = NSRegularExpression.escapedTemplate(for: "DATABASE \(quoteIdentifier(target))")
        return pattern.stringByReplacingMatches(in: sql, range: NSRange(sql.startIndex..., in: sql), withTemplate: replacement)
    }

    /// Roles are cluster-wide and not in the archive: a target that lacks an owner or a
    /// grantee makes the restore stop before it changes anything (unless told otherwise).
    private func checkRoles(_ entries: [TOCEntry], on connection: Connection) throws {
        var needed = Set<String>()
        if !options.noOwner {
            for entry in entries { if let owner = entry.owner, !owner.isEmpty { needed.insert(owner) } }
        }
        if !options.noACL {
            for entry in entries where entry.desc == "ACL" || entry.desc == "DEFAULT ACL" {
                needed.formUnion(Self.rolesNamed(in: entry.defn ?? ""))
            }
        }
        guard !needed.isEmpty else { return }
        let existing = Set(try connection.query(
            "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[])",
            ["{" + needed.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"]
        ).rows.compactMap { $0[0] })
        let missing = needed.subtracting(existing).sorted()
        guard !missing.isEmpty else { return }
        if options.createRoles {
            for role in missing { try connection.execute("CREATE ROLE \(quoteIdentifier(role)) NOLOGIN") }
            return
        }
        throw DumpError(
            .missingRoles,
            "the target server lacks role(s) that own or are granted objects in this dump: \(missing.joined(separator: ", ")). Create them first, or restore with --create-roles (creates them NOLOGIN), --no-owner or --no-acl. Nothing was restored.",
            object: missing.first)
    }

    /// Role names after TO/FROM and SET SESSION AUTHORIZATION in GRANT/REVOKE text.
    static func rolesNamed(in sql: String) -> Set<String> {
        var roles = Set<String>()
        for line in sql.split(separator: "\n") {
            let text = String(line)
            var candidates: [Substring] = []
            if let range = text.range(of: " TO ", options: .backwards) { candidates.append(text[range.upperBound...]) }
            if let range = text.range(of: " FROM ", options: .backwards) { candidates.append(text[range.upperBound...]) }
            if text.hasPrefix("SET SESSION AUTHORIZATION ") { candidates.append(text.dropFirst("SET SESSION AUTHORIZATION ".count)) }
            for candidate in candidates {
                var name = candidate.trimmingCharacters(in: .whitespaces)
                if name.hasSuffix(";") { name.removeLast() }
                if let grant = name.range(of: " WITH GRANT OPTION") { name = String(name[..<grant.lowerBound]) }
                if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                    name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
                }
                if !name.isEmpty && name != "PUBLIC" { roles.insert(name) }
            }
        }
        return roles
    }

    /// Settings sent before anything else, as pg_restore's `_doSetFixedOutputState` sends
    /// them, but only those the target server knows.
    public static func preamble(entries: [TOCEntry], serverVersion: Int) throws -> String {
        // The dump's database settings are applied to the target first (DATABASE PROPERTIES),
        // so a database the room keeps read-only by default makes every later connection
        // read-only: each one turns it off for itself, as pg_dumpall's scripts do.
        var lines = [
            "SET statement_timeout = 0;", "SET lock_timeout = 0;", "SET idle_in_transaction_session_timeout = 0;",
            "SET default_transaction_read_only = off;",
        ]
        if serverVersion >= 170000 { lines.append("SET transaction_timeout = 0;") }
        if let encoding = entries.first(where: { $0.desc == "ENCODING" })?.defn {
            let parts = encoding.split(separator: "'")
            guard parts.count >= 2 else { throw DumpError(.corrupt, "the dump's ENCODING entry is malformed") }
            lines.append("SET client_encoding = \(quoteLiteral(String(parts[1])));")
        } else {
            lines.append("SET client_encoding = 'SQL_ASCII';")
        }
        let stdStrings = entries.first(where: { $0.desc == "STDSTRINGS" })?.defn?.contains("'on'") ?? false
        lines.append("SET standard_conforming_strings = \(stdStrings ? "on" : "off");")
        if let searchPath = entries.first(where: { $0.desc == "SEARCHPATH" })?.defn {
            lines.append(searchPath)
        }
        lines += ["SET check_function_bodies = false;", "SET xmloption = content;", "SET client_min_messages = warning;", "SET row_security = off;"]
        if !stdStrings { lines.append("SET escape_string_warning = off;") }
        return lines.joined(separator: "\n")
    }

    /// Runs an entry's SQL and the ALTER OWNER pg_restore would emit after it.
    private func run(_ entry: TOCEntry, on connection: Connection) throws {
        var sql = entry.defn ?? ""
        if let set = Self.tablespaceStatement(entry, noTablespaces: options.noTablespaces), !sql.isEmpty { sql = set + "\n" + sql }
        if !options.noOwner, let owner = Self.ownerStatement(entry) { sql += "\n" + owner }
        guard !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        do {
            try connection.execute(sql)
        } catch let error as PGError {
            throw RestoreError(entry: entry, underlying: error)
        }
    }

    /// `ALTER <kind> <name> OWNER TO <owner>` under pg_restore's rules (format doc §7.4):
    /// only for entries with an owner and a drop statement, by desc.
    public static func ownerStatement(_ entry: TOCEntry) -> String? {
        guard let owner = entry.owner, !owner.isEmpty, let drop = entry.dropStmt, !drop.isEmpty else { return nil }
        let byName: Set<String> = [
            "TABLE", "VIEW", "SEQUENCE", "MATERIALIZED VIEW", "FOREIGN TABLE", "TYPE", "DOMAIN", "SCHEMA",
            "COLLATION", "CONVERSION", "STATISTICS", "TEXT SEARCH DICTIONARY", "TEXT SEARCH CONFIGURATION",
            "PROCEDURAL LANGUAGE", "EVENT TRIGGER", "FOREIGN DATA WRAPPER", "SERVER", "PUBLICATION", "SUBSCRIPTION",
        ]
        let byDrop: Set<String> = ["FUNCTION", "PROCEDURE", "AGGREGATE", "OPERATOR", "OPERATOR CLASS", "OPERATOR FAMILY"]
        let ownerSQL = quoteIdentifier(owner)
        if entry.desc == "BLOB" { return "ALTER LARGE OBJECT \(entry.tag) OWNER TO \(ownerSQL);" }
        if byName.contains(entry.desc) {
            var kind = entry.desc
            if kind == "PROCEDURAL LANGUAGE" { kind = "LANGUAGE" }
            if kind == "SERVER" { kind = "SERVER" }
            let name = entry.desc == "SCHEMA" || entry.namespace == nil || ["EVENT TRIGGER", "FOREIGN DATA WRAPPER", "SERVER", "PUBLICATION", "SUBSCRIPTION", "PROCEDURAL LANGUAGE"].contains(entry.desc)
                ? quoteIdentifier(entry.tag)
                : "\(quoteIdentifier(entry.namespace!)).\(quoteIdentifier(entry.tag))"
            return "ALTER \(kind) \(name) OWNER TO \(ownerSQL);"
        }
        if byDrop.contains(entry.desc) {
            var text = drop.trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.hasPrefix("DROP ") else { return nil }
            text.removeFirst(5)
            if text.hasSuffix(";") { text.removeLast() }
            return "ALTER \(text) OWNER TO \(ownerSQL);"
        }
        return nil
    }

    /// The pre-data connection plus `jobs - 1` more with its session state (encoding, standard
    /// strings, search_path), opened after pre-data so they see the same settings.
    private func openConnections(first: Connection, needed: Bool) throws -> [Connection] {
        var connections = [first]
        guard needed, options.jobs > 1 else { return connections }
        let fixed = try Self.preambleFromConnection(first)
        for _ in 1..<options.jobs {
            let extra = try Connection(target)
            try extra.execute(try Self.preamble(entries: [], serverVersion: extra.serverVersionNumber))
            try extra.execute(fixed)
            connections.append(extra)
        }
        return connections
    }

    /// Tables whose heap order matters and so load on one connection: those with a BRIN index
    /// (its ranges summarize runs of pages) or marked CLUSTER ON. Keyed "schema.table".
    static func keepsPhysicalOrder(_ entries: [TOCEntry]) -> Set<String> {
        var tableIds = Set<Int32>()
        for entry in entries where entry.section == .postData {
            let defn = entry.defn ?? ""
            if (entry.desc == "INDEX" && defn.contains(" USING brin ")) || defn.contains(" CLUSTER ON ") {
                tableIds.formUnion(entry.dependencies)
            }
        }
        return Set(entries.filter { $0.desc == "TABLE" && tableIds.contains($0.dumpId) }.map { "\($0.namespace ?? "").\($0.tag)" })
    }

    /// pg_dump's text-format `COPY ... FROM stdin;`, where a raw newline always ends a row, so
    /// the data may be cut between rows and spread over connections.
    static func isPlainCopy(_ copy: String) -> Bool { copyTarget(copy) != nil }

    /// What a plain `COPY <target> FROM stdin;` copies into: `schema.table (col, ...)`.
    static func copyTarget(_ copy: String) -> String? {
        let text = copy.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("COPY "), text.hasSuffix(" FROM stdin;") else { return nil }
        return String(text.dropFirst(5).dropLast(12))
    }

    /// The binary encoder for each table whose columns are all of types `CopyBinaryEncoder`
    /// converts, keyed by what pg_dump's COPY statement names: `schema.table (col, ...)`, in
    /// attribute order without generated columns, quoted as quote_ident quotes. A statement
    /// quoted otherwise (another version's keyword list) finds no key and stays text.
    ///
    /// None under a client encoding whose characters hold ASCII bytes (Shift JIS's ソ ends in a
    /// backslash): the server reads COPY text after converting it, the encoder reads the bytes.
    static func binaryEncoders(on connection: Connection) throws -> [String: CopyBinaryEncoder] {
        let encoding = try connection.query("SELECT current_setting('client_encoding')").rows[0].get(0, as: String.self)
        guard !asciiEmbeddingEncodings.contains(encoding.uppercased()) else { return [:] }
        let generated = connection.serverVersionNumber >= 120000 ? "AND a.attgenerated = ''" : ""
        let result = try connection.query("""
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' ('
                       || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) || ')',
                   string_agg(a.atttypid::text, ',' ORDER BY a.attnum)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \(generated)
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            GROUP BY n.nspname, c.relname
            """)
        var encoders: [String: CopyBinaryEncoder] = [:]
        for row in result.rows {
            guard let key = try row.optional(0, as: String.self), let oids = try row.optional(1, as: String.self) else { continue }
            let kinds = oids.split(separator: ",").map { UInt32($0).flatMap(CopyBinaryEncoder.kind(typeOID:)) }
            guard !kinds.contains(where: { $0 == nil }), let encoder = CopyBinaryEncoder(kinds: kinds.compactMap { $0 }) else { continue }
            encoders[key] = encoder
        }
        return encoders
    }

    /// PostgreSQL's client-only encodings (PG_ENCODING_IS_CLIENT_ONLY), whose multibyte
    /// characters may contain bytes below 0x80.
    static let asciiEmbeddingEncodings: Set<String> = ["SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC", "GB18030", "JOHAB"]

    /// `COPY schema.table (cols) FROM stdin (FORMAT binary);` and its encoder, for a plain COPY
    /// whose table and column list `encoders` has.
    static func binaryForm(of copy: String, encoders: [String: CopyBinaryEncoder]) -> (copy: String, encoder: CopyBinaryEncoder)? {
        guard let target = copyTarget(copy), let encoder = encoders[target] else { return nil }
        return ("COPY \(target) FROM stdin (FORMAT binary);", encoder)
    }

    /// A server that refuses rows sent as binary COPY (a bad value or message in the binary
    /// data: something the converter got wrong) gets the way around it named in the message.
    static func hintingTextCopy(_ error: PGError) -> PGError {
        guard [SQLState.invalidBinaryRepresentation, SQLState.badCopyFileFormat, SQLState.protocolViolation].contains(error.sqlState) else { return error }
        var hinted = error
        let hint = "these rows went as binary COPY; restore with --text-copy to send them as the archive's COPY text, as pg_restore does"
        hinted.hint = hinted.hint.map { $0 + "\n  " + hint } ?? hint
        return hinted
    }

    /// Runs post-data entries on the connections, by dependency: an entry starts once every
    /// post-data entry it depends on has finished and nothing running holds a lock it conflicts
    /// with; the first failure stops the rest (with `allowIndexFailures`, the first that is not
    /// an index's). Returns the indexes that failed and the entries skipped for them.
    private func runParallel(_ items: [TOCEntry], tables: Set<Int32>, on pool: [Connection], progress: (@Sendable (RestoreProgress) -> Void)?) throws -> (failed: [String], skipped: [String]) {
        guard !items.isEmpty else { return ([], []) }
        // Builds take the server's own maintenance_work_mem, as pg_restore's do (PGOPTIONS sets
        // it for a run). More made them slower: two side by side over 8M events took 4.1 s at
        // 256MB and 3.3 s at 64MB, the whole restore 17.4 s against 15.4 s; and each build could
        // hold that much of the room host's memory while the live room plays.
        let connections = Array(pool.prefix(max(1, min(options.jobs, items.count))))

        let scheduler = PostDataScheduler(items, tableIds: tables, connections: connections.count)
        let group = DispatchGroup()
        for connection in connections {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var workersOff = false
                while let (entry, alone) = scheduler.next() {
                    do {
                        // Builds side by side already fill the cores: parallel index workers
                        // only for a build that runs alone.
                        if workersOff == alone {
                            try connection.execute(alone ? "RESET max_parallel_maintenance_workers" : "SET max_parallel_maintenance_workers = 0")
                            workersOff = !alone
                        }
                        try self.run(entry, on: connection)
                        let finished = scheduler.finish(entry)
                        progress?(.postData(done: finished, total: items.count))
                    } catch let error as RestoreError where self.options.allowIndexFailures && entry.desc == "INDEX" {
                        let name = "\(entry.namespace.map { "\($0)." } ?? "")\(entry.tag)"
                        let finished = scheduler.finish(entry, failure: "\(name): \(error.underlying.serverMessage)")
                        progress?(.postData(done: finished, total: items.count))
                    } catch {
                        scheduler.fail(error)
                        return
                    }
                }
            }
        }
        group.wait()
        if let failure = scheduler.failure { throw failure }
        return (scheduler.failedIndexes, scheduler.skipped)
    }

    private static func preambleFromConnection(_ connection: Connection) throws -> String {
        let row = try connection.query("SELECT current_setting('client_encoding'), current_setting('standard_conforming_strings'), current_setting('search_path')").rows[0]
        return """
            SET client_encoding = \(quoteLiteral(try row.get(0)));
            SET standard_conforming_strings = \(try row.get(1, as: String.self));
            SELECT pg_catalog.set_config('search_path', \(quoteLiteral(try row.get(2))), false);
            SET check_function_bodies = false;
            SET client_min_messages = warning;
            SET row_security = off;
            """
    }
}

/// A restore step failed: names the TOC entry and carries the server's error.
public struct RestoreError: Error, CustomStringConvertible, Sendable {
    public var desc: String
    public var namespace: String?
    public var tag: String
    public var underlying: PGError

    init(entry: TOCEntry, underlying: PGError) {
        desc = entry.desc
        namespace = entry.namespace
        tag = entry.tag
        self.underlying = underlying
    }

    public var description: String {
        let schema = namespace.map { " in schema \($0)" } ?? ""
        return "restoring \(desc) \(tag)\(schema) failed: \(underlying.serverMessage)"
            + (underlying.sqlState.map { " (SQLSTATE \($0))" } ?? "")
            + (underlying.detail.map { "\n  detail: \($0)" } ?? "")
            + (underlying.hint.map { "\n  hint: \($0)" } ?? "")
    }
}

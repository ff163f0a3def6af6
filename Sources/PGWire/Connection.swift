internal import CLibPQ
import Foundation

/// One PostgreSQL session over libpq.
///
/// Blocking and not thread-safe, except `cancel()`, which may be called from any thread.
/// The libpq connection is closed when the object goes away.
// @unchecked: a libpq session used by one thread at a time (handed to a worker whole); cancel() is locked.
public final class Connection: @unchecked Sendable {
    private let conn: OpaquePointer
    private let cancelHandle: OpaquePointer?
    private let cancelLock = NSLock()
    /// The settings this connection was opened with (password included; never print them).
    public let settings: ConnectionSettings
    /// "host:port" actually used, for messages.
    public let endpoint: String

    /// Opens a connection.
    /// - Throws: `PGError` with `.connectionRefused`, `.hostNotFound`, `.authenticationFailed`,
    ///   `.databaseMissing` or `.connectionFailed`, each naming the endpoint and the setting to fix.
    public init(_ settings: ConnectionSettings) throws {
        self.settings = settings
        var params: [(String, String)] = []
        if let host = settings.host { params.append(("host", host)) }
        if let port = settings.port { params.append(("port", String(port))) }
        if let user = settings.user { params.append(("user", user)) }
        if let db = settings.database { params.append(("dbname", db)) }
        if let password = settings.password { params.append(("password", password)) }
        params.append(("application_name", settings.applicationName))
        params.append(("connect_timeout", String(settings.connectTimeout)))
        for (key, value) in settings.extra.sorted(by: { $0.key < $1.key }) { params.append((key, value)) }

        let conn: OpaquePointer? = withCStringArray(params.map(\.0)) { keys in
            withCStringArray(params.map(\.1)) { values in
                PQconnectdbParams(keys, values, 0)
            }
        }
        guard let conn else {
            throw PGError(code: .connectionFailed, message: "cannot start a PostgreSQL connection: out of memory")
        }
        let host = String(cString: PQhost(conn))
        let port = String(cString: PQport(conn))
        let endpoint = host.hasPrefix("/") ? "\(host) port \(port)" : "\(host):\(port)"
        if PQstatus(conn) != CONNECTION_OK {
            let error = Connection.classifyConnectFailure(conn, settings: settings, endpoint: endpoint)
            PQfinish(conn)
            throw error
        }
        self.conn = conn
        self.endpoint = endpoint
        self.cancelHandle = PQgetCancel(conn)
        // Notices (e.g. "table does not exist, skipping") would go to stderr by default;
        // commands report what matters themselves.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(conn)
    }

    // MARK: - Facts about the session

    /// The server version as an integer, e.g. 150018 or 160002. Wraps `PQserverVersion`.
    public var serverVersionNumber: Int { Int(PQserverVersion(conn)) }

    /// The server's version string, e.g. "15.18 (Debian 15.18-0+deb12u1)".
    public var serverVersion: String { parameterStatus("server_version") ?? String(serverVersionNumber) }

    /// A parameter the server reports (server_version, server_encoding, ...). Wraps `PQparameterStatus`.
    public func parameterStatus(_ name: String) -> String? {
        guard let value = PQparameterStatus(conn, name) else { return nil }
        return String(cString: value)
    }

    /// The backend process id, for `pg_terminate_backend` and diagnostics. Wraps `PQbackendPID`.
    public var backendPID: Int32 { PQbackendPID(conn) }

    /// The database this session is connected to. Wraps `PQdb`.
    public var database: String { String(cString: PQdb(conn)) }

    /// The user this session is connected as. Wraps `PQuser`.
    public var user: String { String(cString: PQuser(conn)) }

    /// Whether the connection is still usable.
    public var isAlive: Bool { PQstatus(conn) == CONNECTION_OK }

    /// Whether the session runs over TLS. Wraps `PQsslInUse`.
    public var usesSSL: Bool { PQsslInUse(conn) == 1 }

    /// Whether the session stays on this machine: a unix socket, or TCP to a loopback address
    /// (the address libpq actually connected to, so `localhost` counts by what it resolved to).
    public var isLocal: Bool {
        let host = String(cString: PQhost(conn))
        if host.isEmpty || host.hasPrefix("/") || host.hasPrefix("@") { return true }
        let address = PQhostaddr(conn).map { String(cString: $0) } ?? ""
        return Connection.isLoopback(address.isEmpty ? host : address)
    }

    /// 127.0.0.0/8, ::1 and IPv4-mapped 127.x.
    static func isLoopback(_ address: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }

    // MARK: - Queries

    /// Runs one or more statements without parameters, discarding results.
    /// - Throws: `PGError` (`.query`, `.cancelled`, `.connectionLost`).
    public func execute(_ sql: String) throws {
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Runs one statement with text-format parameters (`$1`, `$2`, ...) and returns its rows.
    /// - Throws: `PGError` (`.query`, `.cancelled`, `.connectionLost`).
    public func query(_ sql: String, _ parameters: [PGEncodable?] = []) throws -> QueryResult {
        let texts = parameters.map { $0?.pgText }
        let result: OpaquePointer? = withOptionalCStringArray(texts) { values in
            PQexecParams(conn, sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, sql: sql)
        return Connection.materialize(result!)
    }

    /// Transaction isolation levels, as `BEGIN ISOLATION LEVEL` spells them.
    public enum Isolation: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` inside a transaction: COMMIT when it returns, ROLLBACK when it throws.
    public func transaction<T>(
        isolation: Isolation = .readCommitted, readOnly: Bool = false, deferrable: Bool = false,
        _ body: (Connection) throws -> T
    ) throws -> T {
        var begin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)"
        if readOnly { begin += " READ ONLY" }
        if deferrable { begin += " DEFERRABLE" }
        try execute(begin)
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            if isAlive { PQclear(PQexec(conn, "ROLLBACK")) }
            throw error
        }
    }

    // MARK: - COPY

    /// Runs a `COPY ... TO STDOUT` and hands its output to `body` in chunks of about
    /// `chunkSize` bytes, each ending on a row boundary (one row may exceed it).
    /// Memory stays bounded by the chunk size plus the largest row.
    ///
    /// If `body` throws, the COPY is cancelled, the connection drained back to idle,
    /// and the body's error rethrown.
    /// - Returns: the number of bytes received.
    /// Wraps `PQgetCopyData`.
    @discardableResult
    public func copyOut(
        _ sql: String, chunkSize: Int = 256 * 1024, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int64 {
        let start = PQexec(conn, sql)
        let status = PQresultStatus(start)
        if status != PGRES_COPY_OUT {
            defer { PQclear(start) }
            try check(start, sql: sql)
            throw PGError(code: .copy, message: "the server did not start COPY OUT for: \(sql.prefix(80))")
        }
        PQclear(start)

        let capacity = max(chunkSize, 4096)
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { chunk.deallocate() }
        var used = 0
        var total: Int64 = 0

        func flush() throws {
            if used > 0 {
                try body(UnsafeRawBufferPointer(start: chunk, count: used))
                used = 0
            }
        }

        do {
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let n = PQgetCopyData(conn, &buffer, 0)
                if n > 0, let buffer {
                    defer { PQfreemem(buffer) }
                    total += Int64(n)
                    let count = Int(n)
                    if used + count > capacity { try flush() }
                    if count > capacity {
                        // One row larger than a chunk: pass it through as its own chunk.
                        try body(UnsafeRawBufferPointer(start: buffer, count: count))
                    } else {
                        (chunk + used).copyMemory(from: buffer, byteCount: count)
                        used += count
                    }
                } else if n == -1 {
                    try flush()
                    break
                } else {
                    throw connectionError(fallback: .copy)
                }
            }
        } catch {
            abortCopyOut()
            if let pgError = error as? PGError, pgError.code == .copy || pgError.code == .connectionLost {
                // The server's own error (e.g. terminated backend) is more precise.
                throw drainResults() ?? pgError
            }
            // Read the COPY's final (cancelled) result so the connection is idle again.
            _ = drainResults()
            throw error
        }
        if let error = drainResults() { throw error }
        return total
    }

    /// Feeds a `COPY ... FROM STDIN` from `body`. If `body` throws, the COPY is ended with
    /// an error (the server rolls the COPY back), the connection is drained, and the body's
    /// error is rethrown.
    /// - Returns: the row count the server reports.
    /// Wraps `PQputCopyData` and `PQputCopyEnd`.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (CopyInWriter) throws -> Void) throws -> Int {
        let start = PQexec(conn, sql)
        if PQresultStatus(start) != PGRES_COPY_IN {
            defer { PQclear(start) }
            try check(start, sql: sql)
            throw PGError(code: .copy, message: "the server did not start COPY IN for: \(sql.prefix(80))")
        }
        PQclear(start)
        let writer = CopyInWriter(connection: self)
        do {
            try body(writer)
        } catch {
            _ = PQputCopyEnd(conn, "aborted by sentient-snap")
            let serverError = drainResults()
            // A write that failed because the server had already refused a row: its error
            // (with SQLSTATE and the row) says more than libpq's "no COPY in progress".
            if let pgError = error as? PGError, pgError.code == .copy || pgError.code == .connectionLost, let serverError {
                throw serverError
            }
            throw error
        }
        if PQputCopyEnd(conn, nil) != 1 {
            throw drainResults() ?? connectionError(fallback: .copy)
        }
        var rows = 0
        var firstError: PGError?
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if firstError == nil {
                firstError = makeError(result, sql: sql)
            }
            PQclear(result)
        }
        if let firstError { throw firstError }
        return rows
    }

    fileprivate func putCopyData(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        // PQputCopyData takes an int length: feed very large buffers in pieces.
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            let rc = PQputCopyData(conn, (base + offset).assumingMemoryBound(to: CChar.self), Int32(n))
            if rc != 1 { throw connectionError(fallback: .copy) }
            offset += n
        }
    }

    // MARK: - Cancellation

    /// Asks the server to cancel the statement in progress. Safe from any thread.
    /// Wraps `PQcancel`.
    public func cancel() {
        cancelLock.lock()
        defer { cancelLock.unlock() }
        guard let cancelHandle else { return }
        var errbuf = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &errbuf, Int32(errbuf.count))
    }

    // MARK: - Internals

    private func abortCopyOut() {
        guard isAlive else { return }
        cancel()
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(conn, &buffer, 0)
            if let buffer { PQfreemem(buffer) }
            if n < 0 { break }
        }
    }

    /// Reads results until libpq says the command is complete; returns the first error.
    private func drainResults() -> PGError? {
        var first: PGError?
        while let result = PQgetResult(conn) {
            let status = PQresultStatus(result)
            if first == nil, status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE {
                first = makeError(result, sql: nil)
            }
            PQclear(result)
            if status == PGRES_COPY_IN { _ = PQputCopyEnd(conn, "aborted by sentient-snap") }
            if status == PGRES_COPY_OUT { abortCopyOut() }
        }
        if first == nil, !isAlive { first = connectionError(fallback: .connectionLost) }
        return first
    }

    private func check(_ result: OpaquePointer?, sql: String?) throws {
        guard let result else { throw connectionError(fallback: .connectionLost) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            _ = drainResults()
            throw PGError(code: .query, message: "unexpected COPY from a plain statement; use copyIn/copyOut")
        default:
            throw makeError(result, sql: sql)
        }
    }

    private func makeError(_ result: OpaquePointer, sql: String?) -> PGError {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let sqlState = field(Int32(UInt8(ascii: "C")))
        let primary = field(Int32(UInt8(ascii: "M")))
            ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = field(Int32(UInt8(ascii: "D")))
        let hint = field(Int32(UInt8(ascii: "H")))
        if !isAlive {
            return PGError(
                code: .connectionLost,
                message: "the connection to PostgreSQL at \(endpoint) was lost: \(primary)"
                    + " — check that the room's database is running, then try again",
                serverMessage: primary, sqlState: sqlState, detail: detail, hint: hint, endpoint: endpoint)
        }
        let code: PGError.Code
        switch sqlState {
        case SQLState.queryCanceled: code = .cancelled
        case SQLState.adminShutdown, SQLState.crashShutdown, SQLState.cannotConnectNow: code = .connectionLost
        default: code = .query
        }
        var message = "PostgreSQL at \(endpoint) refused a statement: \(primary)"
        if let sqlState { message += " (SQLSTATE \(sqlState))" }
        if let detail { message += "\n  detail: \(detail)" }
        if let hint { message += "\n  hint: \(hint)" }
        if code == .cancelled { message = "the statement was cancelled on PostgreSQL at \(endpoint): \(primary)" }
        return PGError(
            code: code, message: message, serverMessage: primary, sqlState: sqlState, detail: detail,
            hint: hint, endpoint: endpoint)
    }

    private func connectionError(fallback: PGError.Code) -> PGError {
        let text = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
        let code: PGError.Code = isAlive ? fallback : .connectionLost
        return PGError(
            code: code,
            message: "the connection to PostgreSQL at \(endpoint) failed: \(text)"
                + (isAlive ? "" : " — check that the room's database is running, then try again"),
            serverMessage: text, endpoint: endpoint)
    }

    private static func materialize(_ result: OpaquePointer) -> QueryResult {
        let nfields = Int(PQnfields(result))
        let ntuples = Int(PQntuples(result))
        let columns = (0..<nfields).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [Row] = []
        rows.reserveCapacity(ntuples)
        for r in 0..<ntuples {
            var values: [String?] = []
            values.reserveCapacity(nfields)
            for c in 0..<nfields {
                if PQgetisnull(result, Int32(r), Int32(c)) != 0 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        let tuples = String(cString: PQcmdTuples(result))
        return QueryResult(columns: columns, rows: rows, affectedRows: Int(tuples))
    }
}

/// Sends COPY data; handed to the body of `Connection.copyIn`.
public final class CopyInWriter {
    private unowned let connection: Connection
    public private(set) var bytesWritten: Int64 = 0

    fileprivate init(connection: Connection) { self.connection = connection }

    /// Sends bytes of COPY text (any split; rows may span calls).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try connection.putCopyData(bytes)
        bytesWritten += Int64(bytes.count)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

// MARK: - C string arrays

private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = duplicated.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func withOptionalCStringArray<R>(
    _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
) -> R {
    if strings.isEmpty { return body(nil) }
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { duplicated.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicated.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

internal import CLibPQ
import Foundation

extension Connection {
    /// Why a connection attempt failed. libpq keeps the server's SQLSTATE of a failed startup to
    /// itself (there is no `PQresultErrorField` without a result), so the status it does expose
    /// (`PQconnectionNeedsPassword`) is asked first and its message text only where no code
    /// exists; the codes we know are set on the error (`SQLState.invalidPassword`, ...).
    static func classifyConnectFailure(
        _ conn: OpaquePointer, settings: ConnectionSettings, endpoint: String
    ) -> PGError {
        let raw = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
        // libpq prefixes "connection to server at ... failed: "; keep the reason.
        let reason = raw.components(separatedBy: "failed: ").last ?? raw
        let lower = raw.lowercased()
        let hints = settings.hints
        let user = settings.user ?? String(cString: PQuser(conn))
        let database = settings.database ?? String(cString: PQdb(conn))
        if PQconnectionNeedsPassword(conn) != 0 {
            return PGError(
                code: .authenticationFailed,
                message: "PostgreSQL at \(endpoint) rejected user \"\(user)\": \(reason) — set the"
                    + " password in \(hints.password), or the user with \(hints.user).",
                serverMessage: reason, sqlState: SQLState.invalidPassword, endpoint: endpoint)
        }
        if lower.contains("connection refused") || lower.contains("no such file or directory") {
            return PGError(
                code: .connectionRefused,
                message: "cannot reach PostgreSQL at \(endpoint) (connection refused) — is the room's"
                    + " database running on that port? The host comes from \(hints.host), the port from \(hints.port).",
                serverMessage: reason, endpoint: endpoint)
        }
        if lower.contains("could not translate host name") || lower.contains("name or service not known") {
            return PGError(
                code: .hostNotFound,
                message: "cannot resolve the PostgreSQL host in \(endpoint) — check \(hints.host).",
                serverMessage: reason, endpoint: endpoint)
        }
        if lower.contains("password authentication failed") || lower.contains("no password supplied")
            || lower.contains("authentication failed")
        {
            return PGError(
                code: .authenticationFailed,
                message: "PostgreSQL at \(endpoint) rejected user \"\(user)\": \(reason) — set the"
                    + " password in \(hints.password), or the user with \(hints.user).",
                serverMessage: reason, sqlState: SQLState.invalidPassword, endpoint: endpoint)
        }
        if lower.contains("role") && lower.contains("does not exist") {
            return PGError(
                code: .authenticationFailed,
                message: "PostgreSQL at \(endpoint) has no user \"\(user)\" — set the user with \(hints.user).",
                serverMessage: reason, sqlState: SQLState.invalidAuthorization, endpoint: endpoint)
        }
        if lower.contains("database") && lower.contains("does not exist") {
            return PGError(
                code: .databaseMissing,
                message: "PostgreSQL at \(endpoint) has no database \"\(database)\" — set the database"
                    + " with \(hints.database), or check that this port belongs to the right room.",
                serverMessage: reason, sqlState: SQLState.invalidCatalogName, endpoint: endpoint)
        }
        return PGError(
            code: .connectionFailed,
            message: "cannot connect to PostgreSQL at \(endpoint): \(reason)",
            serverMessage: reason, endpoint: endpoint)
    }
}

/// An error from PostgreSQL or from talking to it.
///
/// `description` is the user-facing message: what happened, where, and how to fix it.
/// It never contains a password or a conninfo string.
public struct PGError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Callers and tests match on this or on `sqlState`,
    /// never on message text.
    public enum Code: String, Sendable, Equatable {
        /// Nothing listens on host:port.
        case connectionRefused
        /// The host name does not resolve.
        case hostNotFound
        /// Password missing or wrong, or the role does not exist.
        case authenticationFailed
        /// The database named in the settings does not exist.
        case databaseMissing
        /// Any other failure to connect (timeout, TLS, protocol).
        case connectionFailed
        /// The connection broke while in use (server stopped, backend terminated).
        case connectionLost
        /// A statement failed; see `sqlState`.
        case query
        /// A COPY failed or was aborted.
        case copy
        /// The statement was cancelled (by `Connection.cancel()` or statement_timeout).
        case cancelled
        /// A value could not be decoded into the requested Swift type.
        case decoding
    }

    public var code: Code
    /// Five-character SQLSTATE from the server, when there is one.
    public var sqlState: String?
    /// The primary message (server's, or libpq's for connection failures).
    public var serverMessage: String
    public var detail: String?
    public var hint: String?
    /// Where we tried to connect, for messages ("127.0.0.1:5433").
    public var endpoint: String?
    /// The user-facing explanation with the fix.
    public var message: String

    public init(
        code: Code, message: String, serverMessage: String? = nil, sqlState: String? = nil,
        detail: String? = nil, hint: String? = nil, endpoint: String? = nil
    ) {
        self.code = code
        self.message = message
        self.serverMessage = serverMessage ?? message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.endpoint = endpoint
    }

    public var description: String { message }
}

/// The SQLSTATE codes this project matches on, named once (PostgreSQL, Appendix A).
///
/// `PGError.sqlState` stays a `String` (the server may send any code); compare it with these:
/// `error.sqlState == SQLState.objectInUse`.
public enum SQLState {
    /// 08P01: the client broke the protocol (e.g. a binary COPY field shorter than its type).
    public static let protocolViolation = "08P01"
    /// 22P03: a binary value its type's receive function refuses.
    public static let invalidBinaryRepresentation = "22P03"
    /// 22P04: a COPY file whose format is wrong (a binary COPY's header or trailer).
    public static let badCopyFileFormat = "22P04"
    /// 28000: the role does not exist or may not log in.
    public static let invalidAuthorization = "28000"
    /// 28P01: wrong or missing password.
    public static let invalidPassword = "28P01"
    /// 3D000: the database does not exist.
    public static let invalidCatalogName = "3D000"
    /// 42704: an object named in a statement does not exist (e.g. an unknown `SET` parameter).
    public static let undefinedObject = "42704"
    /// 42P01: the table does not exist.
    public static let undefinedTable = "42P01"
    /// 55006: the object is in use (a database others are connected to).
    public static let objectInUse = "55006"
    /// 55P03: a lock could not be taken (lock_timeout, NOWAIT).
    public static let lockNotAvailable = "55P03"
    /// 57014: the statement was cancelled (cancel request or statement_timeout).
    public static let queryCanceled = "57014"
    /// 57P01: the server is shutting down, or the backend was terminated.
    public static let adminShutdown = "57P01"
    /// 57P02: the server crashed (crash shutdown).
    public static let crashShutdown = "57P02"
    /// 57P03: the server is starting up or not accepting connections.
    public static let cannotConnectNow = "57P03"
}

/// A failure at the room level, with the message a technician reads.
///
/// The CLI maps `code` to an exit status in one table (sysexits(3), DESIGN.md "Exit codes");
/// any other error reaches that table through `SnapError.classify` (ErrorSpine.swift).
public struct SnapError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// Bad arguments or settings (bad room name, port out of range).
        case usage
        /// An input is missing: archive, rooms dir, env file named by a flag.
        case inputNotFound
        /// The output cannot be created: output dir missing or not writable.
        case outputNotCreatable
        /// Writing failed (disk full, I/O error); partial output was removed.
        case ioFailure
        /// A server (PostgreSQL, MQTT, Docker) could not be reached.
        case unreachable
        /// Root without --allow-root, or authentication failed.
        case permission
        /// Damaged, unreadable or unsafe archive.
        case damagedArchive
        /// Done, but something needs attention.
        case attention
        /// Interrupted by a signal.
        case interrupted
        /// Anything else (including objects the dump cannot reproduce).
        case failure
    }

    public var code: Code
    public var message: String
    /// The error this one wraps (a `PGError`, an `ArchiveError`, ...), kept for `--verbose`.
    /// `message` already says what a technician needs; the cause chain is for the curious.
    public var underlying: Error?

    public init(_ code: Code, _ message: String, underlying: Error? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// Wraps `error` with a message of its own, keeping its classification and the cause.
    public init(wrapping error: Error, _ message: String) {
        self.init(SnapError.classify(error), message, underlying: error)
    }

    public var description: String { message }
}

/// The tool's version, shown by --version and written into manifests and dump headers.
public enum SentientSnapVersion {
    public static let current = "0.1.0"
}

/// Errors from dumping or reading a database dump. `message` is user-facing.
public struct DumpError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Equatable {
        /// The database holds an object the dump cannot reproduce faithfully.
        case unsupportedObject
        /// The dump file is damaged or not a custom-format archive.
        case corrupt
        /// The dump file ends early.
        case truncated
        /// Newer archive version or unknown compression.
        case unsupported
        /// The catalog changed under the dump (a table vanished between listing and locking).
        case concurrentChange
        /// The target server lacks roles that own or are granted objects in the dump.
        case missingRoles
        /// The target server lacks tablespaces the dump stores tables or indexes in.
        case missingTablespaces
    }

    public var code: Code
    public var message: String
    /// The object concerned ("function public.touch()"), when there is one.
    public var object: String?

    public init(_ code: Code, _ message: String, object: String? = nil) {
        self.code = code
        self.message = message
        self.object = object
    }

    public var description: String { message }
}

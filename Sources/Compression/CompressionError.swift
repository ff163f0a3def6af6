/// A failure inside zlib: bad compressed input, or no memory for zlib's state.
///
/// Each user maps it to its own error type (ArchiveWriter to `ArchiveError`, PGDump to
/// `DumpError`), so this module knows nothing about archives or dumps.
public struct CompressionError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: Equatable, Sendable {
        /// The input is not valid compressed data (or fails its check value).
        case corrupt
        /// zlib could not allocate its state.
        case outOfMemory
    }

    public var code: Code
    /// What happened and what to do; for people.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

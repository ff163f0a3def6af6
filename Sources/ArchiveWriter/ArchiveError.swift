import Compression

/// An error reading or writing a `.tar.gz` archive.
///
/// Programs match on `code`; `message` is for people: it says what happened, names the archive
/// file or entry, and says how to fix it where there is a fix.
public struct ArchiveError: Error, CustomStringConvertible, Equatable {
    /// What kind of failure this is. Match on this, never on `message`.
    public enum Code: Equatable, Sendable {
        /// The input ends early (a cut-off download or copy, a full disk while it was written).
        case truncated
        /// The input has bad bytes: checksum mismatch, invalid deflate data, malformed header.
        case corrupt
        /// An entry name that must not be written or extracted (absolute, `..`, NUL byte).
        case unsafePath
        /// An operating-system error other than a full disk.
        case io
        /// No space left on the device (ENOSPC) or quota exceeded (EDQUOT).
        case diskFull
        /// Something is larger than the caller's or this module's limit.
        case tooLarge
        /// A valid but unsupported feature (e.g. a gzip compression method other than deflate).
        case unsupported
        /// The API was used wrongly (e.g. a body wrote a different number of bytes than declared).
        case usage
    }

    public var code: Code
    /// User-facing text: what happened and how to fix it; names the file or entry.
    public var message: String
    /// The archive file path or the entry name this error is about, when known.
    public var path: String?
    /// The compressed (file) or uncompressed (tar) offset where it happened, when known;
    /// the message says which.
    public var offset: Int64?

    public init(_ code: Code, _ message: String, path: String? = nil, offset: Int64? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
    }

    public var description: String { message }
}

extension ArchiveError {
    /// The archive-level view of a zlib failure: bad data is a corrupt archive, no memory an I/O error.
    init(_ error: CompressionError) {
        self.init(error.code == .corrupt ? .corrupt : .io, error.message)
    }

    /// Runs `body`, turning a `CompressionError` into an `ArchiveError`.
    static func mapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CompressionError {
            throw ArchiveError(error)
        }
    }
}

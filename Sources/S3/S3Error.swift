import Foundation

/// What went wrong talking to an object store, by kind (the CLI's exit code follows the code,
/// never the message text).
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The store rejected the credentials or the request's signature (SignatureDoesNotMatch,
        /// InvalidAccessKeyId, AccessDenied, ExpiredToken), or there are none.
        case accessDenied
        /// The endpoint could not be reached (refused, unresolvable, timed out) after retries.
        case unreachable
        /// NoSuchBucket, NoSuchKey, NoSuchUpload, or a 404 without a body.
        case notFound
        /// An object's bytes do not match the checksum they were written or recorded with.
        case checksumMismatch
        /// A response we could not understand (malformed XML, a missing header).
        case protocolViolation
        /// Any other error status from the store (after retries for 5xx and throttling).
        case server
        /// A local file could not be read or written.
        case io
        /// A location or setting that makes no sense (`s3://` without a bucket, a bad endpoint).
        case usage
    }

    public let code: Code
    public let message: String
    /// The store's own error code (`<Code>` in the XML body), when it sent one.
    public let s3Code: String?
    public let status: Int?
    public let underlying: Error?

    public init(_ code: Code, _ message: String, s3Code: String? = nil, status: Int? = nil, underlying: Error? = nil) {
        self.code = code
        self.message = message
        self.s3Code = s3Code
        self.status = status
        self.underlying = underlying
    }

    public var description: String { message }

    /// The code for an error response: by the store's code first, else by the status.
    static func code(status: Int, s3Code: String?) -> Code {
        switch s3Code {
        case "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "ExpiredToken", "InvalidToken", "AuthorizationHeaderMalformed":
            return .accessDenied
        case "NoSuchBucket", "NoSuchKey", "NoSuchUpload":
            return .notFound
        case "BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest":
            return .checksumMismatch
        default:
            break
        }
        switch status {
        case 401, 403: return .accessDenied
        case 404: return .notFound
        default: return .server
        }
    }
}

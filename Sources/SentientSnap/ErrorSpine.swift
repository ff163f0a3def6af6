import Age
import ArchiveWriter
import Compression
import Foundation
import PGDump
import PGWire
import RoomWires
import SSHSig
import S3

// The one classification from any error the tool can throw to a `SnapError.Code`, so the CLI
// maps a single type to its exit table and never needs to know the lower modules' errors.

extension SnapError {
    /// The room-level code of any error: a `SnapError` keeps its own; the lower modules' errors
    /// are classified by their codes (never by message text); wrapping errors
    /// (`RestoreError`) by what they wrap; anything unknown is `.failure`.
    public static func classify(_ error: Error) -> Code {
        switch error {
        case let error as SnapError:
            return error.code
        case let error as PGError:
            switch error.code {
            case .connectionRefused, .hostNotFound, .connectionFailed, .connectionLost: return .unreachable
            case .authenticationFailed: return .permission
            case .databaseMissing: return .inputNotFound
            case .query, .copy, .cancelled, .decoding: return .failure
            }
        case let error as RestoreError:
            return classify(error.underlying)
        case let error as ArchiveError:
            switch error.code {
            case .truncated, .corrupt, .unsafePath, .tooLarge, .unsupported: return .damagedArchive
            case .diskFull, .io: return .ioFailure
            case .usage: return .failure
            }
        case let error as AgeError:
            switch error {
            case .noMatchingIdentity: return .permission
            case .invalidKey: return .usage
            case .io: return .ioFailure
            case .malformedHeader, .unsupportedVersion, .headerMAC, .truncated, .damagedPayload, .trailingData: return .damagedArchive
            }
        case let error as CompressionError:
            switch error.code {
            case .corrupt: return .damagedArchive
            case .outOfMemory: return .ioFailure
            }
        case let error as DumpError:
            switch error.code {
            case .corrupt, .truncated, .unsupported: return .damagedArchive
            case .unsupportedObject, .concurrentChange, .missingRoles, .missingTablespaces: return .failure
            }
        case let error as MQTTError:
            switch error.code {
            case .unreachable, .timeout: return .unreachable
            case .authenticationFailed: return .permission
            case .refused, .connectionLost, .protocolViolation, .limitExceeded: return .failure
            }
        case let error as DockerError:
            switch error.code {
            case .unreachable, .refused, .imageMissing, .portTaken: return .unreachable
            }
        case is MiniHTTP.Failure:
            return .unreachable
        case let error as SignatureError:
            switch error.code {
            // The archive's .sig: damaged, or not by a key the venue trusts (issue 17).
            case .malformedSignature, .unsupportedSignature, .wrongNamespace, .badSignature, .notTrusted: return .damagedArchive
            // A key or allowed_signers file the user named.
            case .malformedKey, .encryptedKey, .unsupportedKey, .malformedAllowedSigners: return .usage
            }
        case let error as S3Error:
            switch error.code {
            case .accessDenied: return .permission
            case .unreachable: return .unreachable
            case .notFound: return .inputNotFound
            case .checksumMismatch: return .damagedArchive
            case .io: return .ioFailure
            case .usage: return .usage
            case .protocolViolation, .server: return .failure
            }
        default:
            return .failure
        }
    }

    /// The error a wrapping error carries, if any: `SnapError.underlying`, `RestoreError`'s
    /// statement error.
    public static func cause(of error: Error) -> Error? {
        switch error {
        case let error as SnapError: return error.underlying
        case let error as RestoreError: return error.underlying
        case let error as DockerError: return error.underlying
        case let error as S3Error: return error.underlying
        default: return nil
        }
    }

    /// `error` and each cause under it, outermost first, as "Type: description" lines (for
    /// `--verbose`). Stops after 16 levels.
    public static func causeChain(_ error: Error) -> [String] {
        var lines: [String] = []
        var current: Error? = error
        while let error = current, lines.count < 16 {
            var line = "\(type(of: error))"
            if let code = codeName(error) { line += "(\(code))" }
            line += ": \(error)"
            lines.append(line)
            current = cause(of: error)
        }
        return lines
    }

    /// The machine-readable code of a known error type, for the cause chain.
    private static func codeName(_ error: Error) -> String? {
        switch error {
        case let error as SnapError: return error.code.rawValue
        case let error as PGError: return error.code.rawValue + (error.sqlState.map { ", SQLSTATE \($0)" } ?? "")
        case let error as ArchiveError: return "\(error.code)"
        case let error as CompressionError: return "\(error.code)"
        case let error as DumpError: return error.code.rawValue
        case let error as MQTTError: return error.code.rawValue
        case let error as DockerError: return error.code.rawValue
        case let error as SignatureError: return "\(error.code)"
        case let error as S3Error: return error.code.rawValue + (error.s3Code.map { ", \($0)" } ?? "") + (error.status.map { ", HTTP \($0)" } ?? "")
        case let error as RestoreError: return error.underlying.sqlState.map { "SQLSTATE \($0)" }
        default: return nil
        }
    }
}

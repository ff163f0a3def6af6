import ArchiveWriter
import Compression
@testable import PGDump
import PGWire
@testable import RoomWires
import SentientSnap
import SSHSig
import Testing

/// `SnapError.classify`: the one table from every error type the tool throws to a room-level
/// code (the CLI turns the code into its exit status: 65 damaged, 66 not found, 69 unreachable,
/// 74 I/O, 77 permission, 1 otherwise).
@Suite("error spine")
struct ErrorSpineTests {
    @Test("every SnapError code classifies as itself, and a wrapper keeps its code and cause")
    func snapErrors() {
        for code in SnapError.Code.allCases {
            #expect(SnapError.classify(SnapError(code, "x")) == code)
        }
        let cause = ArchiveError(.truncated, "cut short")
        let wrapped = SnapError(wrapping: cause, "archive.tar.gz is damaged")
        #expect(wrapped.code == .damagedArchive)
        #expect((wrapped.underlying as? ArchiveError)?.code == .truncated)
        #expect(SnapError.causeChain(wrapped) == [
            "SnapError(damagedArchive): archive.tar.gz is damaged",
            "ArchiveError(truncated): cut short",
        ])
    }

    @Test("PGError codes: connection failures 69, authentication 77, missing database 66, the rest 1")
    func pgErrors() {
        let expected: [(PGError.Code, SnapError.Code)] = [
            (.connectionRefused, .unreachable), (.hostNotFound, .unreachable), (.connectionFailed, .unreachable),
            (.connectionLost, .unreachable), (.authenticationFailed, .permission), (.databaseMissing, .inputNotFound),
            (.query, .failure), (.copy, .failure), (.cancelled, .failure), (.decoding, .failure),
        ]
        for (code, snap) in expected {
            #expect(SnapError.classify(PGError(code: code, message: "m")) == snap, "\(code)")
        }
    }

    @Test("ArchiveError and CompressionError codes: damage 65, disk and I/O 74, misuse 1")
    func archiveErrors() {
        let expected: [(ArchiveError.Code, SnapError.Code)] = [
            (.truncated, .damagedArchive), (.corrupt, .damagedArchive), (.unsafePath, .damagedArchive),
            (.tooLarge, .damagedArchive), (.unsupported, .damagedArchive), (.diskFull, .ioFailure), (.io, .ioFailure),
            (.usage, .failure),
        ]
        for (code, snap) in expected {
            #expect(SnapError.classify(ArchiveError(code, "m")) == snap, "\(code)")
        }
        #expect(SnapError.classify(CompressionError(.corrupt, "m")) == .damagedArchive)
        #expect(SnapError.classify(CompressionError(.outOfMemory, "m")) == .ioFailure)
    }

    @Test("DumpError codes, and RestoreError by the statement error it wraps")
    func dumpErrors() {
        let expected: [(DumpError.Code, SnapError.Code)] = [
            (.corrupt, .damagedArchive), (.truncated, .damagedArchive), (.unsupported, .damagedArchive),
            (.unsupportedObject, .failure), (.concurrentChange, .failure), (.missingRoles, .failure), (.missingTablespaces, .failure),
        ]
        for (code, snap) in expected {
            #expect(SnapError.classify(DumpError(code, "m")) == snap, "\(code)")
        }
        let entry = TOCEntry(dumpId: 1, tag: "t", desc: "TABLE", section: .preData)
        let statement = RestoreError(entry: entry, underlying: PGError(code: .query, message: "m", sqlState: SQLState.undefinedTable))
        #expect(SnapError.classify(statement) == .failure)
        let lost = RestoreError(entry: entry, underlying: PGError(code: .connectionLost, message: "m", sqlState: SQLState.adminShutdown))
        #expect(SnapError.classify(lost) == .unreachable)
        #expect(SnapError.causeChain(lost).count == 2)
        #expect(SnapError.causeChain(lost).last?.hasPrefix("PGError(connectionLost, SQLSTATE 57P01)") == true)
    }

    @Test("SignatureError: the archive's signature 65, the user's key files 64")
    func signatureErrors() {
        let expected: [(SignatureError.Code, SnapError.Code)] = [
            (.malformedSignature, .damagedArchive), (.unsupportedSignature, .damagedArchive), (.wrongNamespace, .damagedArchive),
            (.badSignature, .damagedArchive), (.notTrusted, .damagedArchive),
            (.malformedKey, .usage), (.encryptedKey, .usage), (.unsupportedKey, .usage), (.malformedAllowedSigners, .usage),
        ]
        for (code, snap) in expected {
            #expect(SnapError.classify(SignatureError(code, "m")) == snap, "\(code)")
        }
        #expect(SnapError.causeChain(SnapError(wrapping: SignatureError(.notTrusted, "m"), "w")).last == "SignatureError(notTrusted): m")
    }

    @Test("MQTT, Docker and HTTP errors: unreachable 69, authentication 77, the rest 1")
    func wireErrors() {
        let expected: [(MQTTError.Code, SnapError.Code)] = [
            (.unreachable, .unreachable), (.timeout, .unreachable), (.authenticationFailed, .permission),
            (.refused, .failure), (.connectionLost, .failure), (.protocolViolation, .failure), (.limitExceeded, .failure),
        ]
        for (code, snap) in expected {
            let error = MQTTError(code, broker: "h:1883", "m")
            #expect(SnapError.classify(error) == snap, "\(code)")
            #expect(error.snapError.code == snap)
            #expect(error.snapError.underlying is MQTTError)
        }
        #expect(SnapError.classify(DockerError(.unreachable, "m")) == .unreachable)
        #expect(SnapError.classify(DockerError(.refused, "m")) == .unreachable)
        #expect(SnapError.classify(MiniHTTP.Failure(description: "m")) == .unreachable)
    }

    @Test("an unknown error is a plain failure")
    func unknown() {
        struct Other: Error {}
        #expect(SnapError.classify(Other()) == .failure)
        #expect(SnapError.cause(of: Other()) == nil)
    }
}

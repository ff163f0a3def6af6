import Foundation
import SSHSig
import Testing
import TestHarness

/// ssh-keygen, the oracle: keys made by it, signatures made and checked by it.
enum KeyGen {
    static let path = "/usr/bin/ssh-keygen"

    /// A new unencrypted Ed25519 key pair at `dir/name` (and `.pub`).
    @discardableResult
    static func ed25519(_ dir: TempDir, _ name: String, passphrase: String = "", type: String = "ed25519") throws -> String {
        let key = dir.file(name)
        let result = try runProcess(path, ["-q", "-t", type, "-N", passphrase, "-C", "\(name)@test", "-f", key])
        guard result.succeeded else { throw HarnessError("ssh-keygen -t \(type) failed: \(result)") }
        return key
    }

    /// `ssh-keygen -Y sign` of `file` into `file.sig`.
    static func sign(_ file: String, key: String, namespace: String = "sentient-snap", hash: String? = nil) throws -> ToolResult {
        try runProcess(path, ["-Y", "sign", "-n", namespace, "-f", key] + (hash.map { ["-O", "hashalg=\($0)"] } ?? []) + [file])
    }

    /// `ssh-keygen -Y verify` of `file` against `sig`.
    static func verify(_ file: String, sig: String, allowedSigners: String, identity: String, namespace: String = "sentient-snap") throws -> ToolResult {
        try runProcess("/bin/sh", [
            "-c", "exec \(path) -Y verify -n \"$1\" -f \"$2\" -I \"$3\" -s \"$4\" < \"$5\"", "sh",
            namespace, allowedSigners, identity, sig, file,
        ])
    }
}

func readBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw HarnessError("cannot read \(path)") }
    return Array(data)
}

func writeBytes(_ bytes: [UInt8], _ path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw HarnessError("cannot write \(path)") }
}

func writeText(_ text: String, _ path: String) throws {
    try writeBytes(Array(text.utf8), path)
}

/// Deterministic test data.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// The code of the `SignatureError` `body` throws; nil when it throws nothing. Any other error
/// fails the test.
func signatureCode(_ body: () throws -> Void) -> SignatureError.Code? {
    do {
        try body()
        return nil
    } catch let error as SignatureError {
        #expect(!error.message.isEmpty)
        return error.code
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

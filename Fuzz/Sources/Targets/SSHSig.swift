import Foundation
@testable import SSHSig

private let sshsigMessage = MessageDigests(of: Array("archive digest\n".utf8))
/// allowed_signers times are read in UTC so runs do not depend on the machine's zone.
private let utc = TimeZone(identifier: "UTC")!
/// A fixed "now" for the validity checks.
private let sshsigNow = Date(timeIntervalSince1970: 1_800_000_000)

/// SSH signatures and keys as `verify` and `backup --sign` read them. The first byte picks the
/// parser, the rest is the input: 0 an armored signature (a .sig file), 1 a signature blob,
/// 2 an OpenSSH private key file, 3 a public key line, 4 an allowed_signers file. What parses
/// must survive its own encoding; signatures are checked against a fixed message, keys sign it,
/// and every allowed_signers entry is asked whether it trusts its key.
let sshsigTarget = FuzzTarget(name: "sshsig", maxLen: 8 << 10) { bytes in
    guard let selector = bytes.first else { return }
    let input = Array(bytes.dropFirst())
    switch selector % 5 {
    case 0, 1:
        let parsed = selector % 5 == 0 ? try? SSHSignature(armored: input) : try? SSHSignature(blob: input)
        guard let signature = parsed else { return }
        precondition(try! SSHSignature(blob: signature.blob) == signature, "sshsig: a signature does not survive its blob")
        precondition(try! SSHSignature(armored: Array(signature.armored.utf8)) == signature, "sshsig: a signature does not survive its armor")
        try? signature.verify(sshsigMessage, namespace: "sentient-snap")
    case 2:
        guard let key = try? SSHPrivateKey(fileContent: input) else { return }
        let signature = try! SSHSignature.sign(sshsigMessage, namespace: "sentient-snap", key: key)
        try! signature.verify(sshsigMessage, namespace: "sentient-snap")
    case 3:
        guard let key = try? SSHPublicKey(line: input) else { return }
        precondition(try! SSHPublicKey(line: Array(key.openSSH.utf8)) == key, "sshsig: a public key does not survive its line")
    default:
        guard let signers = try? AllowedSigners(fileContent: input, timeZone: utc) else { return }
        for entry in signers.entries {
            _ = try? signers.trusting(entry.key, namespace: "sentient-snap", at: sshsigNow)
        }
    }
}

import Foundation
import SSHSig
import TestHarness
import Testing

/// Our signatures against OpenSSH's ssh-keygen, both ways.
@Suite struct SSHSigInteropTests {
    @Test func ourSignatureIsSSHKeygensAndItVerifies() throws {
        let dir = try TempDir(prefix: "sshsig")
        let keyPath = try KeyGen.ed25519(dir, "signer")
        let data = pseudoRandomBytes(300_000, seed: 1)
        let file = dir.file("archive.tar.gz")
        try writeBytes(data, file)

        let key = try SSHPrivateKey(fileContent: try readBytes(keyPath))
        let ours = try SSHSignature.sign(MessageDigests(of: data), namespace: "sentient-snap", key: key)
        try writeText(ours.armored, file + ".sig")
        let publicLine = String(decoding: try readBytes(keyPath + ".pub"), as: UTF8.self)
        #expect(publicLine.hasPrefix(key.publicKey.openSSH + " "))
        try writeText("backup@venue namespaces=\"sentient-snap\" \(publicLine)", dir.file("allowed_signers"))

        let verified = try KeyGen.verify(file, sig: file + ".sig", allowedSigners: dir.file("allowed_signers"), identity: "backup@venue")
        #expect(verified.succeeded, "\(verified)")

        // Ed25519 is deterministic: ssh-keygen's own signature of the same file is byte-identical.
        try FileManager.default.moveItem(atPath: file + ".sig", toPath: dir.file("ours.sig"))
        let signed = try KeyGen.sign(file, key: keyPath)
        #expect(signed.succeeded, "\(signed)")
        #expect(try readBytes(file + ".sig") == Array(ours.armored.utf8))

        // ssh-keygen -l prints the same fingerprint.
        let listed = try runProcess(KeyGen.path, ["-l", "-f", keyPath + ".pub"])
        #expect(listed.stdout.contains(key.publicKey.fingerprint))
    }

    @Test(arguments: [nil, "sha256", "sha512"])
    func sshKeygenSignatureVerifiesWithOurs(hash: String?) throws {
        let dir = try TempDir(prefix: "sshsig")
        let keyPath = try KeyGen.ed25519(dir, "signer")
        let data = pseudoRandomBytes(70_000, seed: 2)
        let file = dir.file("data")
        try writeBytes(data, file)
        let signed = try KeyGen.sign(file, key: keyPath, hash: hash)
        #expect(signed.succeeded, "\(signed)")

        let signature = try SSHSignature(armored: try readBytes(file + ".sig"))
        #expect(signature.hashAlgorithm == (hash ?? "sha512"))
        try signature.verify(MessageDigests(of: data), namespace: "sentient-snap")
        let allowed = try AllowedSigners(fileContent: Array("backup@venue \(String(decoding: try readBytes(keyPath + ".pub"), as: UTF8.self))".utf8))
        let entry = try allowed.trusting(signature.publicKey, namespace: "sentient-snap")
        #expect(entry.principals == ["backup@venue"])

        var flipped = data
        flipped[flipped.count / 2] ^= 0x01
        #expect(signatureCode { try signature.verify(MessageDigests(of: flipped), namespace: "sentient-snap") } == .badSignature)
    }
}

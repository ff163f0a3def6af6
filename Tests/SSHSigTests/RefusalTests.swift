import Foundation
import SSHSig
import TestHarness
import Testing

/// What must be refused, with a `SignatureError` and never a crash.
@Suite struct SSHSigRefusalTests {
    /// One key pair, a signed file, and its allowed_signers, made by ssh-keygen.
    struct Fixture {
        let dir: TempDir
        let data: [UInt8]
        let sigText: [UInt8]
        let publicLine: String

        init() throws {
            dir = try TempDir(prefix: "sshsig")
            let key = try KeyGen.ed25519(dir, "signer")
            data = pseudoRandomBytes(4096, seed: 3)
            try writeBytes(data, dir.file("data"))
            let signed = try KeyGen.sign(dir.file("data"), key: key)
            guard signed.succeeded else { throw HarnessError("\(signed)") }
            sigText = try readBytes(dir.file("data.sig"))
            publicLine = String(decoding: try readBytes(key + ".pub"), as: UTF8.self)
        }
    }

    @Test func wrongNamespaceIsRefused() throws {
        let f = try Fixture()
        let signature = try SSHSignature(armored: f.sigText)
        #expect(signatureCode { try signature.verify(MessageDigests(of: f.data), namespace: "git") } == .wrongNamespace)
        // Signed for "file" by ssh-keygen: refused for ours.
        try FileManager.default.removeItem(atPath: f.dir.file("data.sig"))
        let other = try KeyGen.sign(f.dir.file("data"), key: f.dir.file("signer"), namespace: "file")
        #expect(other.succeeded)
        let fileSignature = try SSHSignature(armored: try readBytes(f.dir.file("data.sig")))
        #expect(signatureCode { try fileSignature.verify(MessageDigests(of: f.data), namespace: "sentient-snap") } == .wrongNamespace)
    }

    @Test func aKeyNotListedIsNotTrusted() throws {
        let f = try Fixture()
        let otherPublic = try KeyGen.ed25519(f.dir, "other") + ".pub"
        let allowed = try AllowedSigners(fileContent: Array("backup@venue \(String(decoding: try readBytes(otherPublic), as: UTF8.self))".utf8))
        let signature = try SSHSignature(armored: f.sigText)
        try signature.verify(MessageDigests(of: f.data), namespace: "sentient-snap")
        #expect(signatureCode { _ = try allowed.trusting(signature.publicKey, namespace: "sentient-snap") } == .notTrusted)
        // ssh-keygen agrees.
        try writeText("backup@venue \(String(decoding: try readBytes(otherPublic), as: UTF8.self))", f.dir.file("allowed"))
        try writeBytes(f.sigText, f.dir.file("data.sig"))
        #expect(try KeyGen.verify(f.dir.file("data"), sig: f.dir.file("data.sig"), allowedSigners: f.dir.file("allowed"), identity: "backup@venue").status != 0)
    }

    /// Every single-bit flip of every byte of the binary signature, re-armored: parsed or
    /// refused with a SignatureError, and never verified.
    @Test func everyFlippedBitOfTheSignatureIsRefused() throws {
        let f = try Fixture()
        let signature = try SSHSignature(armored: f.sigText)
        let digests = MessageDigests(of: f.data)
        let blob = signature.blob
        var refusedCodes: Set<String> = []
        for index in blob.indices {
            for bit in 0..<8 {
                var damaged = blob
                damaged[index] ^= UInt8(1 << bit)
                let code = signatureCode {
                    let parsed = try SSHSignature(blob: damaged)
                    try parsed.verify(digests, namespace: "sentient-snap")
                    // A flip in the key makes another key: it verifies only if it were the signer's.
                    #expect(parsed.publicKey != signature.publicKey, "flip at \(index) bit \(bit) verified")
                }
                if let code { refusedCodes.insert("\(code)") }
            }
        }
        #expect(refusedCodes.contains("badSignature"))
        #expect(refusedCodes.contains("malformedSignature"))
    }

    @Test func everyFlippedByteOfTheDataIsRefused() throws {
        let f = try Fixture()
        let signature = try SSHSignature(armored: f.sigText)
        for index in stride(from: 0, to: f.data.count, by: 97) {
            var damaged = f.data
            damaged[index] ^= 0x80
            #expect(signatureCode { try signature.verify(MessageDigests(of: damaged), namespace: "sentient-snap") } == .badSignature)
        }
    }

    /// The armored text cut at every length, and each character replaced: a SignatureError
    /// (or, for a cut that only drops trailing blanks, the same signature), never a crash.
    @Test func truncatedOrGarbledArmorIsRefused() throws {
        let f = try Fixture()
        let digests = MessageDigests(of: f.data)
        let full = try SSHSignature(armored: f.sigText)
        for length in 0..<f.sigText.count {
            let code = signatureCode { _ = try SSHSignature(armored: f.sigText.prefix(length)) }
            if code == nil {
                #expect(f.sigText[length...].allSatisfy { $0 == 0x0A }, "cut at \(length) parsed")
            }
        }
        for index in f.sigText.indices where f.sigText[index] != 0x0A {
            var garbled = f.sigText
            garbled[index] = garbled[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            _ = signatureCode {
                let parsed = try SSHSignature(armored: garbled)
                try parsed.verify(digests, namespace: "sentient-snap")
                // Only a change inside the public key's padding-free bits could still parse;
                // it cannot still verify under the same key.
                #expect(parsed != full, "garbled at \(index) still the same signature")
            }
        }
        #expect(signatureCode { _ = try SSHSignature(armored: Array("hello".utf8)) } == .malformedSignature)
        #expect(signatureCode { _ = try SSHSignature(armored: Array("-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n".utf8)) } == .malformedSignature)
    }

    @Test func privateKeysThatCannotSignAreRefused() throws {
        let dir = try TempDir(prefix: "sshsig")
        let encrypted = try KeyGen.ed25519(dir, "locked", passphrase: "secret words")
        #expect(signatureCode { _ = try SSHPrivateKey(fileContent: try readBytes(encrypted)) } == .encryptedKey)
        let ecdsa = try KeyGen.ed25519(dir, "ecdsa", type: "ecdsa")
        #expect(signatureCode { _ = try SSHPrivateKey(fileContent: try readBytes(ecdsa)) } == .unsupportedKey)
        let good = try KeyGen.ed25519(dir, "good")
        #expect(signatureCode { _ = try SSHPrivateKey(fileContent: try readBytes(good + ".pub")) } == .malformedKey)
        #expect(signatureCode { _ = try SSHPrivateKey(fileContent: Array("".utf8)) } == .malformedKey)
        // A PEM RSA key: named as unsupported.
        let pem = dir.file("rsa")
        #expect(try runProcess(KeyGen.path, ["-q", "-t", "rsa", "-b", "1024", "-m", "PEM", "-N", "", "-f", pem]).succeeded)
        #expect(signatureCode { _ = try SSHPrivateKey(fileContent: try readBytes(pem)) } == .unsupportedKey)

        // The good key cut at every length: refused, never a crash; whole, it loads.
        let bytes = try readBytes(good)
        for length in 0..<bytes.count where !bytes[length...].allSatisfy({ $0 == 0x0A }) {
            #expect(signatureCode { _ = try SSHPrivateKey(fileContent: bytes.prefix(length)) } != nil, "cut at \(length) loaded")
        }
        let key = try SSHPrivateKey(fileContent: bytes)
        #expect(key.comment == "good@test")
        // Nothing secret in what a key prints.
        #expect("\(key)".hasPrefix("private ED25519 key SHA256:"))
    }

    /// Every bit of the decoded private key flipped in turn: refused or, where the flip lands
    /// in the comment or the check numbers' agreement is kept... refused all the same except
    /// in the comment, never a crash.
    @Test func everyFlippedBitOfThePrivateKeyIsRefusedOrHarmless() throws {
        let dir = try TempDir(prefix: "sshsig")
        let good = try KeyGen.ed25519(dir, "good")
        let text = String(decoding: try readBytes(good), as: UTF8.self)
        let body = text.split(separator: "\n").dropFirst().dropLast().joined()
        let blob = Array(Data(base64Encoded: body)!)
        let original = try SSHPrivateKey(fileContent: try readBytes(good))
        for index in blob.indices {
            for bit in [0, 7] {
                var damaged = blob
                damaged[index] ^= UInt8(1 << bit)
                let armored = "-----BEGIN OPENSSH PRIVATE KEY-----\n\(Data(damaged).base64EncodedString())\n-----END OPENSSH PRIVATE KEY-----\n"
                _ = signatureCode {
                    let key = try SSHPrivateKey(fileContent: Array(armored.utf8))
                    #expect(key.publicKey == original.publicKey, "flip at \(index) gave another key")
                }
            }
        }
    }
}

import Foundation
import SSHSig
import TestHarness
import Testing

@Suite struct AllowedSignersTests {
    /// A signature by a fresh key and its public key line.
    struct Signed {
        let dir: TempDir
        let key: String
        let publicLine: String
        let signature: SSHSignature

        init() throws {
            dir = try TempDir(prefix: "sshsig")
            key = try KeyGen.ed25519(dir, "signer")
            try writeBytes(pseudoRandomBytes(1000, seed: 4), dir.file("data"))
            guard try KeyGen.sign(dir.file("data"), key: key).succeeded else { throw HarnessError("sign failed") }
            publicLine = String(decoding: try readBytes(key + ".pub"), as: UTF8.self).trimmingCharacters(in: .newlines)
            signature = try SSHSignature(armored: try readBytes(dir.file("data.sig")))
        }

        /// Whether ssh-keygen -Y verify accepts the signature with `allowed` (principal `identity`).
        func sshKeygenAccepts(_ allowed: String, identity: String = "backup@venue") throws -> Bool {
            try writeText(allowed, dir.file("allowed"))
            return try KeyGen.verify(dir.file("data"), sig: dir.file("data.sig"), allowedSigners: dir.file("allowed"), identity: identity).succeeded
        }

        func oursAccepts(_ allowed: String) throws -> Bool {
            let signers = try AllowedSigners(fileContent: Array(allowed.utf8))
            return signatureCode { _ = try signers.trusting(signature.publicKey, namespace: "sentient-snap") } == nil
        }
    }

    /// Lines ours and ssh-keygen must judge alike.
    @Test func optionsAreJudgedAsSSHKeygenJudgesThem() throws {
        let s = try Signed()
        let k = s.publicLine
        let cases: [(String, Bool)] = [
            ("backup@venue \(k)", true),
            ("backup@venue namespaces=\"sentient-snap\" \(k)", true),
            ("backup@venue NAMESPACES=\"git,sentient-*\" \(k)", true),
            ("backup@venue namespaces=\"git,file\" \(k)", false),
            ("backup@venue namespaces=\"*,!sentient-snap\" \(k)", false),
            ("backup@venue valid-after=\"20200101\" \(k)", true),
            ("backup@venue valid-after=\"29990101Z\" \(k)", false),
            ("backup@venue valid-before=\"20200101120000Z\" \(k)", false),
            ("backup@venue valid-after=\"20200101\",valid-before=\"29991231\",namespaces=\"sentient-snap\" \(k)", true),
            ("backup@venue cert-authority \(k)", false),
            ("# a comment\n\n   \nbackup@venue \(k)", true),
            ("\"backup@venue\" \(k)", true),
            ("other@venue,backup@venue \(k)", true),
        ]
        for (allowed, expected) in cases {
            #expect(try s.sshKeygenAccepts(allowed) == expected, "ssh-keygen: \(allowed)")
            #expect(try s.oursAccepts(allowed) == expected, "ours: \(allowed)")
        }
    }

    @Test func refusalsSayWhy() throws {
        let s = try Signed()
        let signers = try AllowedSigners(fileContent: Array("a@b namespaces=\"git\" \(s.publicLine)\nc@d cert-authority \(s.publicLine)\n".utf8))
        do {
            _ = try signers.trusting(s.signature.publicKey, namespace: "sentient-snap")
            Issue.record("trusted")
        } catch let error as SignatureError {
            #expect(error.code == .notTrusted)
            #expect(error.message.contains("line 1"))
            #expect(error.message.contains("cert-authority"))
        }
    }

    @Test func otherKeyTypesAreSkippedAndNamed() throws {
        let s = try Signed()
        let rsa = try KeyGen.ed25519(s.dir, "rsa", type: "rsa")
        let rsaLine = String(decoding: try readBytes(rsa + ".pub"), as: UTF8.self)
        let signers = try AllowedSigners(fileContent: Array("x@y \(rsaLine)\nbackup@venue \(s.publicLine)\n".utf8))
        #expect(signers.entries.count == 1)
        #expect(signers.skipped.count == 1)
        #expect(signers.skipped.first?.hasPrefix("line 1: ssh-rsa") == true)
    }

    @Test func malformedLinesAreRefusedWithTheirNumber() throws {
        let s = try Signed()
        let k = s.publicLine
        let base64 = k.split(separator: " ")[1]
        let bad = [
            "lonely-principal",
            "backup@venue",
            "backup@venue nonsense-option \(k)",
            "backup@venue namespaces=sentient-snap \(k)",
            "backup@venue namespaces=\"sentient-snap \(k)",
            "backup@venue valid-after=\"2020\" \(k)",
            "backup@venue valid-after=\"20201301\" \(k)",
            "backup@venue valid-after=\"20250101\",valid-before=\"20240101\" \(k)",
            "backup@venue namespaces=\"a\",namespaces=\"b\" \(k)",
            "backup@venue namespaces=\"a\", \(k)",
            "backup@venue ssh-ed25519",
            "backup@venue ssh-ed25519 !!!notbase64",
            "backup@venue ssh-ed25519 \(base64.dropLast(8))",
            "\"backup@venue \(k)",
        ]
        for line in bad {
            do {
                _ = try AllowedSigners(fileContent: Array("# first\n\(line)\n".utf8))
                Issue.record("accepted: \(line)")
            } catch let error as SignatureError {
                #expect(error.code == .malformedAllowedSigners, "\(line)")
                #expect(error.message.hasPrefix("line 2: "), "\(error.message)")
            }
        }
    }

    /// Every prefix of a file with options and quotes: parsed or refused, never a crash.
    @Test func truncatedFilesNeverCrash() throws {
        let s = try Signed()
        let text = Array("\"a b,c@d\" namespaces=\"x\\\"y,sentient-snap\",valid-after=\"20200101Z\" \(s.publicLine) comment\n".utf8)
        for length in 0...text.count {
            _ = try? AllowedSigners(fileContent: text.prefix(length))
        }
        let whole = try AllowedSigners(fileContent: text)
        #expect(whole.entries.first?.principals == ["a b", "c@d"])
        #expect(whole.entries.first?.namespaces == "x\"y,sentient-snap")
    }
}

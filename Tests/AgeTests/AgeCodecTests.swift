@testable import Age
import Foundation
import TestHarness
import Testing

@Suite struct AgeKeyTests {
    /// age-keygen's output parses, and the identity yields the recipient age-keygen printed.
    @Test func keygenIdentityFile() throws {
        let dir = try TempDir(prefix: "age-keys")
        let keygen = try runProcess("/usr/bin/age-keygen", ["-o", dir.file("key.txt")])
        #expect(keygen.succeeded, "\(keygen)")
        let text = try String(contentsOfFile: dir.file("key.txt"), encoding: .utf8)
        let identities = try AgeKeyFile.identities(text)
        #expect(identities.count == 1)
        let printed = try runProcess("/usr/bin/age-keygen", ["-y", dir.file("key.txt")])
        #expect(identities[0].recipient.description == printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(identities[0].secretString == text.split(separator: "\n").last.map(String.init))
        #expect(!"\(identities[0])".contains("AGE-SECRET-KEY"))
    }

    @Test func recipientsFileSkipsCommentsAndBlankLines() throws {
        let a = AgeIdentity.generate().recipient, b = AgeIdentity.generate().recipient
        let parsed = try AgeKeyFile.recipients("# office\n\(a)\n\n  # offsite\n\(b)\n")
        #expect(parsed == [a, b])
        #expect(throws: AgeError.self) { try AgeKeyFile.recipients("# nothing\n") }
        #expect(throws: AgeError.self) { try AgeKeyFile.recipients("ssh-ed25519 AAAA\n") }
    }

    @Test func badKeyStrings() {
        let good = AgeIdentity.generate()
        var s = Array(good.recipient.description)
        s[10] = s[10] == "q" ? "p" : "q"
        #expect(throws: AgeError.self) { try AgeRecipient(String(s)) }
        #expect(throws: AgeError.self) { try AgeRecipient(good.recipient.description.uppercased()) }
        #expect(throws: AgeError.self) { try AgeIdentity(good.secretString.lowercased()) }
        #expect(throws: AgeError.self) { try AgeIdentity(good.recipient.description) }
        do {
            _ = try AgeKeyFile.identities("# key\n" + good.secretString.dropLast() + "x\n")
            Issue.record("a damaged identity was accepted")
        } catch {
            #expect(!"\(error)".contains(String(good.secretString.prefix(20))), "the message must not show the key")
        }
    }

    @Test func base64IsStrict() {
        #expect(Base64.decode(Array("AA".utf8)) == [0])
        #expect(Base64.decode(Array("AB".utf8)) == nil)  // non-zero unused bits
        #expect(Base64.decode(Array("AA==".utf8)) == nil)
        #expect(Base64.decode(Array("A".utf8)) == nil)
        for n in 0..<70 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }
}

@Suite struct AgeStreamTests {
    /// Sizes around the chunk boundary, including an empty payload and a full last chunk.
    @Test(arguments: [0, 1, 65535, 65536, 65537, 3 * 65536, 3 * 65536 + 5])
    func roundTrip(_ size: Int) throws {
        let identity = AgeIdentity.generate()
        let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        let sealed = try AgeEncryptor.encrypt(plain, to: [AgeIdentity.generate().recipient, identity.recipient])
        #expect(try AgeDecryptor.decrypt(sealed, identities: [identity]) == plain)
        #expect(throws: AgeError.noMatchingIdentity(stanzaTypes: ["X25519", "X25519"])) {
            try AgeDecryptor.decrypt(sealed, identities: [AgeIdentity.generate()])
        }
    }

    /// Every truncation and a bit flip at many offsets give an AgeError, never a crash and never
    /// the whole plaintext.
    @Test func truncationsAndBitFlips() throws {
        let identity = AgeIdentity.generate()
        let plain = (0..<(65536 + 300)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let sealed = try AgeEncryptor.encrypt(plain, to: [identity.recipient])
        var cuts = Array(stride(from: 0, to: sealed.count, by: 97))
        cuts += [sealed.count - 1, sealed.count - 17, sealed.count - 300 - 16, sealed.count - 300 - 17]
        for cut in cuts {
            #expect(throws: AgeError.self, "cut at \(cut)") { try AgeDecryptor.decrypt(Array(sealed[..<cut]), identities: [identity]) }
        }
        for offset in stride(from: 0, to: sealed.count, by: 131) {
            var flipped = sealed
            flipped[offset] ^= 0x10
            #expect(throws: AgeError.self, "flip at \(offset)") { try AgeDecryptor.decrypt(flipped, identities: [identity]) }
        }
        #expect(throws: AgeError.self) { try AgeDecryptor.decrypt(sealed + [0], identities: [identity]) }
    }
}

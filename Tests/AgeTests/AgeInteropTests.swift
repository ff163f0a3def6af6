import Age
import Foundation
import TestHarness
import Testing

/// Round trips with Debian's age 1.1 (/usr/bin/age), both directions.
@Suite struct AgeInteropTests {
    static let sizes = [0, 1000, 65536, 200_000]

    func payload(_ size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
    }

    @Test(arguments: sizes)
    func ourFileIsReadByAge(_ size: Int) throws {
        let dir = try TempDir(prefix: "age-interop")
        let identity = AgeIdentity.generate()
        try (identity.secretString + "\n").write(toFile: dir.file("key.txt"), atomically: true, encoding: .utf8)
        let plain = payload(size)
        let other = AgeIdentity.generate().recipient
        try Data(try AgeEncryptor.encrypt(plain, to: [other, identity.recipient])).write(to: URL(fileURLWithPath: dir.file("f.age")))
        let result = try runProcess("/usr/bin/age", ["-d", "-i", dir.file("key.txt"), "-o", dir.file("out"), dir.file("f.age")])
        #expect(result.succeeded, "\(result)")
        // age opens its output only when it has a byte to write.
        let out = FileManager.default.contents(atPath: dir.file("out")).map { [UInt8]($0) } ?? []
        #expect(out == plain)
    }

    @Test(arguments: sizes)
    func ageFileIsReadByUs(_ size: Int) throws {
        let dir = try TempDir(prefix: "age-interop")
        let keygen = try runProcess("/usr/bin/age-keygen", ["-o", dir.file("key.txt")])
        #expect(keygen.succeeded)
        let identities = try AgeKeyFile.identities(try String(contentsOfFile: dir.file("key.txt"), encoding: .utf8))
        let plain = payload(size)
        try Data(plain).write(to: URL(fileURLWithPath: dir.file("in")))
        let result = try runProcess(
            "/usr/bin/age", ["-r", AgeIdentity.generate().recipient.description, "-r", identities[0].recipient.description, "-o", dir.file("f.age"), dir.file("in")])
        #expect(result.succeeded, "\(result)")
        let sealed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("f.age"))))
        #expect(try AgeDecryptor.decrypt(sealed, identities: identities) == plain)
    }

    /// age refuses what we refuse: a file of ours cut short.
    @Test func ageAlsoRefusesOurTruncatedFile() throws {
        let dir = try TempDir(prefix: "age-interop")
        let identity = AgeIdentity.generate()
        try (identity.secretString + "\n").write(toFile: dir.file("key.txt"), atomically: true, encoding: .utf8)
        let sealed = try AgeEncryptor.encrypt(payload(100_000), to: [identity.recipient])
        try Data(sealed.dropLast(10)).write(to: URL(fileURLWithPath: dir.file("f.age")))
        let result = try runProcess("/usr/bin/age", ["-d", "-i", dir.file("key.txt"), "-o", dir.file("out"), dir.file("f.age")])
        #expect(!result.succeeded)
        #expect(throws: AgeError.self) { try AgeDecryptor.decrypt(Array(sealed.dropLast(10)), identities: [identity]) }
    }
}

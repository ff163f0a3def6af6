import Age
import Foundation
import SentientSnap
import TestHarness
import Testing

@Suite("encrypted archives: errors and keys")
struct EncryptedArchiveTests {
    @Test("AgeError: damage is 65, no matching identity 77 (naming the stanza types), a bad key 64")
    func spine() {
        let damage: [AgeError] = [
            .malformedHeader("x"), .unsupportedVersion("age-encryption.org/v2"), .headerMAC, .truncated("x"), .damagedPayload("x"), .trailingData,
        ]
        for error in damage { #expect(SnapError.classify(error) == .damagedArchive, "\(error)") }
        let noMatch = AgeError.noMatchingIdentity(stanzaTypes: ["X25519", "scrypt"])
        #expect(SnapError.classify(noMatch) == .permission)
        #expect("\(noMatch)".contains("X25519, scrypt"))
        #expect(SnapError.classify(AgeError.invalidKey("x")) == .usage)
    }

    @Test("identity files: missing 66, not an identity 64 without showing the line, a good one loads")
    func identityFiles() throws {
        let dir = try TempDir(prefix: "snap-age")
        let missing = #expect(throws: SnapError.self) { try ArchiveKeys.load(identityFile: dir.file("nope")) }
        #expect(missing?.code == .inputNotFound)
        let identity = AgeIdentity.generate()
        try "# created: today\n\(identity.secretString.dropLast(2))\n".write(toFile: dir.file("bad"), atomically: true, encoding: .utf8)
        let bad = #expect(throws: SnapError.self) { try ArchiveKeys.load(identityFile: dir.file("bad")) }
        #expect(bad?.code == .usage)
        let secretPart = String(identity.secretString.dropFirst("AGE-SECRET-KEY-1".count).prefix(12))
        #expect(bad.map { !$0.message.contains(secretPart) } == true, "\(String(describing: bad))")
        try "# created: today\n\(identity.secretString)\n".write(toFile: dir.file("good"), atomically: true, encoding: .utf8)
        let keys = try ArchiveKeys.load(identityFile: dir.file("good"))
        #expect(keys.identities.map(\.recipient) == [identity.recipient])
        #expect(try ArchiveRecipients.resolve(["\(identity.recipient), \(identity.recipient)"], file: nil).count == 2)
        #expect(throws: SnapError.self) { try ArchiveRecipients.resolve(["age1nope"], file: nil) }
    }

    @Test("backup names: .tar.gz.age is a backup (list, status, prune see it), its sidecar and partial are not")
    func names() throws {
        let name = try #require(BackupFileName.parse("sentient-pharaohs-20240115-143022.tar.gz.age"))
        #expect(name.isEncrypted && name.room == "pharaohs" && name.stamp == "20240115-143022")
        #expect(name.sidecarName == "sentient-pharaohs-20240115-143022.tar.gz.age.sha256")
        #expect(BackupFileName.parse("sentient-pharaohs-20240115-143022.tar.gz.age.sha256") == nil)
        #expect(BackupFileName.parse("sentient-pharaohs-20240115-143022.age") == nil)
        #expect(BackupFileName.parse("sentient-pharaohs-20240115-143022.tar.gz")?.isEncrypted == false)
        let dir = try TempDir(prefix: "snap-age-names")
        for file in ["sentient-pharaohs-20240115-143022.tar.gz.age", "sentient-pharaohs-20240115-143022.tar.gz.age.sha256", ".sentient-pharaohs-20240116-143022.tar.gz.age.partial"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: dir.file(file)))
        }
        let found = try BackupDirectory.scan(dir.path)
        #expect(found.map(\.name.fileName) == ["sentient-pharaohs-20240115-143022.tar.gz.age"])
        #expect(found.first?.hasSidecar == true)
    }
}

import Foundation
import TestHarness
import Testing

/// Both halves of a sealed archive together: encrypted with age and signed over the encrypted
/// bytes, so a host can check who made an archive before it holds the key to open it.
@Suite("sealed archives (age + SSH signature)", .timeLimit(.minutes(30)))
struct SealedArchiveCLITests {
    @Test("backup --encrypt-to --sign-key signs the .tar.gz.age; ssh-keygen and age accept it; restore needs both the identity and a trusted key")
    func encryptedAndSigned() throws {
        let keys = try TempDir(prefix: "snap-sealed")
        try SSHKeygen.key(keys.file("sign_key"))
        try SSHKeygen.key(keys.file("other_key"))
        let trusted = keys.file("allowed_signers"), untrusted = keys.file("other_signers")
        try SSHKeygen.allowedLine(keys.file("sign_key")).write(toFile: trusted, atomically: true, encoding: .utf8)
        try SSHKeygen.allowedLine(keys.file("other_key")).write(toFile: untrusted, atomically: true, encoding: .utf8)
        let fixture = try EncryptedRoom(extra: ["--sign-key", keys.file("sign_key")])
        let archive = fixture.archive
        #expect(archive.hasSuffix(".tar.gz.age"))
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture.room.output).sorted()
        let name = (archive as NSString).lastPathComponent
        #expect(files == [name, name + ".sha256", name + ".sig"], "\(files)")
        let stock = try SSHKeygen.verify(archive, allowedSigners: trusted)
        #expect(stock.succeeded, "ssh-keygen -Y verify of the encrypted file: \(stock)")
        let plain = fixture.room.dir.file("plain.tar.gz")
        #expect(try runProcess("/usr/bin/age", ["-d", "-i", fixture.key.file, "-o", plain, archive]).succeeded)

        // The signature is checked before the identity is needed, and refuses an untrusted key.
        let untrustedRestore = try snap(fixture.restoreArgs(nil, ["--identity", fixture.key.file, "--trusted-keys", untrusted]))
        #expect(untrustedRestore.status == 65, "\(untrustedRestore)")
        try fixture.expectUnchanged("untrusted signer")
        let noIdentity = try snap(fixture.restoreArgs(nil, ["--trusted-keys", trusted]))
        #expect(noIdentity.status == 77, "\(noIdentity)")
        try fixture.expectUnchanged("no identity")

        let verified = try snap(["verify", archive, "--identity", fixture.key.file, "--trusted-keys", trusted, "--json"])
        #expect(verified.status == 0, "\(verified)")
        let restored = try snap(fixture.restoreArgs(nil, ["--identity", fixture.key.file, "--trusted-keys", trusted]))
        #expect(restored.status == 0, "\(restored)")
        #expect(try fixture.events() == "10")
    }
}

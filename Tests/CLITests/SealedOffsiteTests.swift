import Foundation
import TestHarness
import Testing

/// Sealed archives leaving the venue (issues 16 and 17 together): `sync-offsite --encrypt-to`
/// with `--sign-key`, to rsync and `s3://` targets, and encrypted archives read back from S3.
@Suite("sealed offsite copies", .serialized, .timeLimit(.minutes(30)))
struct SealedOffsiteTests {
    @Test("sync-offsite --encrypt-to --sign-key signs each encrypted copy once (ssh-keygen and verify --trusted-keys accept it, local and s3://); a plain archive's .sig never travels beside the .age copy")
    func signedEncryptedCopies() throws {
        let signed = try SignedRoom()
        let room = signed.room
        let key = try AgeKey(in: room.dir)
        let name = (signed.archive as NSString).lastPathComponent
        #expect(FileManager.default.fileExists(atPath: signed.archive + ".sig"), "the plain archive is signed locally")
        let copy = name + ".age"

        // Without a sign key: the .age copy and its sidecar only; the plain archive's .sig (over
        // the plain bytes) would not match the copy, so it does not go.
        let unsigned = room.dir.file("unsigned")
        try FileManager.default.createDirectory(atPath: unsigned, withIntermediateDirectories: true)
        let plain = try snap(["sync-offsite", room.output, unsigned, "--encrypt-to", key.recipient, "--allow-root"])
        #expect(plain.status == 0, "\(plain)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: unsigned).sorted() == [copy, copy + ".sha256"])

        // SENTIENT_SIGN_KEY signs the copy made before without a signature, once.
        let vault = room.dir.file("vault")
        try FileManager.default.createDirectory(atPath: vault, withIntermediateDirectories: true)
        let args = ["sync-offsite", room.output, vault, "--encrypt-to", key.recipient, "--json", "--allow-root"]
        let first = try snap(args, environment: ["SENTIENT_SIGN_KEY": signed.signKey])
        #expect(first.status == 0, "\(first)")
        #expect(ageJSON(first.stdout)?["signed"] as? [String] == [copy], "\(first)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: vault).sorted() == [copy, copy + ".sha256", copy + ".sig"])
        let stock = try SSHKeygen.verify(vault + "/" + copy, allowedSigners: signed.trusted)
        #expect(stock.succeeded, "ssh-keygen -Y verify of the offsite copy: \(stock)")
        let verified = try snap(["verify", vault + "/" + copy, "--identity", key.file, "--trusted-keys", signed.trusted, "--json"])
        #expect(verified.status == 0, "\(verified)")
        #expect(ageJSON(verified.stdout)?["signature"] != nil, "\(verified.stdout)")
        let before = try FileManager.default.attributesOfItem(atPath: vault + "/" + copy + ".sig")

        let again = try snap(args + ["--sign-key", signed.signKey])
        #expect(again.status == 0, "\(again)")
        #expect(ageJSON(again.stdout)?["signed"] as? [String] == [], "signed again: \(again)")
        #expect(ageJSON(again.stdout)?["transferred"] as? [String] == [], "\(again)")
        let after = try FileManager.default.attributesOfItem(atPath: vault + "/" + copy + ".sig")
        #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)

        // A new archive's copy is signed as it is made (--sign-key); the older one is not re-signed.
        let second = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags())
        let newer = try #require(ageJSON(second.stdout)?["archive"] as? String, "\(second)")
        let newCopy = (newer as NSString).lastPathComponent + ".age"
        let third = try snap(args + ["--sign-key", signed.signKey])
        #expect(third.status == 0, "\(third)")
        #expect(ageJSON(third.stdout)?["signed"] as? [String] == [newCopy], "\(third)")
        #expect(try SSHKeygen.verify(vault + "/" + newCopy, allowedSigners: signed.trusted).succeeded)

        // The same copies and signatures go to S3; verify there checks both.
        let server = try TestS3()
        let env = server.snapEnvironment
        let synced = try snap(["sync-offsite", room.output, "s3://venue/sealed", "--encrypt-to", key.recipient, "--sign-key", signed.signKey,
                               "--json", "--allow-root"], environment: env)
        #expect(synced.status == 0, "\(synced)")
        let objects = try server.objects("venue/sealed")
        #expect(objects == [copy, copy + ".sha256", copy + ".sig", newCopy, newCopy + ".sha256", newCopy + ".sig"].sorted(), "\(objects)")
        let fetched = room.dir.file("fetched")
        try FileManager.default.createDirectory(atPath: fetched, withIntermediateDirectories: true)
        for object in [copy, copy + ".sig"] { try server.read("venue/sealed/" + object).write(to: URL(fileURLWithPath: fetched + "/" + object)) }
        #expect(try SSHKeygen.verify(fetched + "/" + copy, allowedSigners: signed.trusted).succeeded)
        let remote = try snap(["verify", "s3://venue/sealed/" + copy, "--identity", key.file, "--trusted-keys", signed.trusted], environment: env)
        #expect(remote.status == 0, "\(remote)")
        let listed = try snap(["list", "s3://venue/sealed", "--json"], environment: env)
        let rows = ((try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8))) as? [[String: Any]]) ?? []
        #expect(rows.count == 2 && rows.allSatisfy { $0["signature"] as? String == "present" }, "list s3:// sees the signatures: \(listed)")

        // An archive that backup encrypted and signed itself travels with its own .sig, unsigned again.
        let sealed = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root", "--encrypt-to", key.recipient,
                               "--sign-key", signed.signKey] + room.flags())
        let sealedArchive = try #require(ageJSON(sealed.stdout)?["archive"] as? String, "\(sealed)")
        let sealedName = (sealedArchive as NSString).lastPathComponent
        let carried = try snap(args)
        #expect(carried.status == 0, "\(carried)")
        #expect(ageJSON(carried.stdout)?["signed"] == nil, "\(carried)")
        #expect(FileManager.default.contents(atPath: vault + "/" + sealedName + ".sig") == FileManager.default.contents(atPath: sealedArchive + ".sig"),
                "the backup's own signature did not travel with its encrypted archive")
        #expect(try SSHKeygen.verify(vault + "/" + sealedName, allowedSigners: signed.trusted).succeeded)

        // --sign-key signs encrypted copies only: without --encrypt-to it is a usage error.
        let alone = try snap(["sync-offsite", room.output, unsigned, "--sign-key", signed.signKey, "--allow-root"])
        #expect(alone.status == 64, "\(alone)")
    }

    @Test("sync-offsite --encrypt-to to s3:// uploads only .tar.gz.age with sidecars, then nothing; list --identity reads the heads, status is ok without one, restore --identity brings the room back",
          arguments: [TestS3.Kind.rclone, .moto])
    func encryptedOnS3(_ kind: TestS3.Kind) throws {
        let server = try TestS3(kind)
        let fixture = try RestoreCLIRoom()
        let room = fixture.room
        let key = try AgeKey(in: room.dir)
        let env = server.snapEnvironment
        let name = (fixture.archive as NSString).lastPathComponent
        let copy = name + ".age"
        let args = ["sync-offsite", room.output, "s3://venue/enc", "--encrypt-to", key.recipient, "--json", "--allow-root"]

        let first = try snap(args, environment: env)
        #expect(first.status == 0, "\(first)")
        #expect(try server.objects("venue") == ["enc/" + copy, "enc/" + copy + ".sha256"], "only the encrypted copy and its sidecar travel")
        #expect(ageJSON(first.stdout)?["encrypted"] as? [String] == [name], "\(first)")
        let again = try snap(args, environment: env)
        #expect(again.status == 0, "\(again)")
        #expect(ageJSON(again.stdout)?["transferred"] as? [String] == [], "a second sync uploaded again: \(again)")
        #expect(ageJSON(again.stdout)?["encrypted"] as? [String] == [], "\(again)")

        let listed = try snap(["list", "s3://venue/enc", "--identity", key.file, "--json"], environment: env)
        #expect(listed.status == 0, "\(listed)")
        let row = ((try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8))) as? [[String: Any]])?.first
        #expect(row?["encrypted"] as? Bool == true && row?["rows"] as? Int == 10 && row?["error"] == nil, "\(listed)")
        #expect((row?["bytes_read"] as? Int ?? 0) > 0)
        let blind = try snap(["list", "s3://venue/enc"], environment: env)
        #expect(blind.status == 0 && blind.stdout.contains("encrypted"), "\(blind)")

        // Without an identity the sidecar is what status can check: present is ok, not verified.
        for extra in [[], ["--identity", key.file]] {
            let status = try snap(["status", "s3://venue/enc", "--json"] + extra, environment: env)
            #expect(status.status == 0, "\(extra): \(status)")
            let rooms = ((try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8))) as? [[String: Any]]) ?? []
            #expect(rooms.count == 1 && rooms.first?["ok"] as? Bool == true && rooms.first?["verified"] as? Bool == false, "\(status.stdout)")
        }

        let work = room.dir.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let restoreArgs = ["restore", "pharaohs", "s3://venue/enc/" + copy, "--force", "--allow-root", "--room-control", "none", "--no-wait",
                           "--work-dir", work] + room.flags()
        let blindRestore = try snap(restoreArgs, environment: env)
        #expect(blindRestore.status == 77, "\(blindRestore)")
        try fixture.expectUnchanged("no identity")
        let restored = try snap(restoreArgs + ["--identity", key.file], environment: env)
        #expect(restored.status == 0, "\(restored)")
        #expect(try fixture.events() == "10", "the restore from the encrypted s3:// copy did not bring back the backup's rows")
        #expect(!FileManager.default.fileExists(atPath: fixture.marker))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "the download was left in the work dir")
    }
}

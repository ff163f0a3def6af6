import Foundation
import TestHarness
import Testing

/// An age key pair made by Debian's age-keygen, the identity file mode 0600.
struct AgeKey {
    let file: String
    let recipient: String

    init(in dir: TempDir, name: String = "key.txt") throws {
        file = dir.file(name)
        let made = try runProcess("/usr/bin/age-keygen", ["-o", file])
        guard made.succeeded else { throw HarnessError("age-keygen failed: \(made)") }
        recipient = try runProcess("/usr/bin/age-keygen", ["-y", file]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

func fileSHA256(_ path: String) throws -> String {
    String(try runProcess("/usr/bin/sha256sum", [path]).stdout.prefix(64))
}

func ageJSON(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// A room backed up with `--encrypt-to`, then changed (5 more events, a config file), so a
/// restore is visible and "nothing changed" is checkable.
struct EncryptedRoom {
    let room: CLIRoom
    let key: AgeKey
    let archive: String
    var marker: String { room.rooms + "/pharaohs/local-change.txt" }

    init(extra: [String] = []) throws {
        room = try CLIRoom()
        key = try AgeKey(in: room.dir)
        let backup = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root", "--encrypt-to", key.recipient] + extra + room.flags())
        guard backup.status == 0, let archive = ageJSON(backup.stdout)?["archive"] as? String else {
            throw HarnessError("encrypted backup failed: \(backup)")
        }
        self.archive = archive
        try room.database.psql("INSERT INTO events (ts, level, event, room_id) SELECT now(), 'info', 'after', 'pharaohs' FROM generate_series(1, 5)")
        try "changed after the backup\n".write(toFile: marker, atomically: true, encoding: .utf8)
    }

    func restoreArgs(_ archive: String? = nil, _ extra: [String]) -> [String] {
        ["restore", "pharaohs", archive ?? self.archive, "--allow-root", "--room-control", "none", "--no-wait", "--force"] + room.flags() + extra
    }

    func events() throws -> String { try room.database.psql("SELECT count(*) FROM events") }

    func expectUnchanged(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try events() == "15", "\(context): the database changed", sourceLocation: sourceLocation)
        #expect(FileManager.default.fileExists(atPath: marker), "\(context): the config directory changed", sourceLocation: sourceLocation)
    }
}

@Suite("encrypted archives (age)", .timeLimit(.minutes(30)))
struct EncryptionCLITests {
    @Test("backup --encrypt-to writes only .tar.gz.age (0600) and its sidecar; age -d gives a tar.gz verify accepts")
    func backupIsReadByAge() throws {
        let fixture = try EncryptedRoom()
        let archive = fixture.archive
        #expect(archive.hasSuffix(".tar.gz.age"), "\(archive)")
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture.room.output).sorted()
        let name = (archive as NSString).lastPathComponent
        #expect(files == [name, name + ".sha256"], "no plain copy or partial file is left: \(files)")
        let mode = try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let sidecar = try String(contentsOfFile: archive + ".sha256", encoding: .utf8)
        #expect(sidecar == "\(try fileSHA256(archive))  \(name)\n")

        let plain = fixture.room.dir.file("decrypted.tar.gz")
        let decrypted = try runProcess("/usr/bin/age", ["-d", "-i", fixture.key.file, "-o", plain, archive])
        #expect(decrypted.succeeded, "\(decrypted)")
        let verifyPlain = try snap(["verify", plain, "--json"])
        #expect(verifyPlain.status == 0, "\(verifyPlain)")
        let verifyEncrypted = try snap(["verify", archive, "--identity", fixture.key.file, "--json"])
        #expect(verifyEncrypted.status == 0, "\(verifyEncrypted)")
        let report = ageJSON(verifyEncrypted.stdout)
        #expect(report?["sidecar"] as? String == "ok")
        #expect(report?["tables"] as? NSDictionary == ageJSON(verifyPlain.stdout)?["tables"] as? NSDictionary)
        let export = try snap(["export", archive, "--sql", fixture.room.dir.file("dump.sql"), "--identity", fixture.key.file])
        #expect(export.status == 0, "\(export)")
        #expect(try String(contentsOfFile: fixture.room.dir.file("dump.sql"), encoding: .utf8).contains("CREATE TABLE"))
    }

    @Test("no identity, or the wrong one: exit 77 naming the X25519 stanza, nothing changed; the right one restores")
    func restoreWithIdentity() throws {
        let fixture = try EncryptedRoom()
        let other = try AgeKey(in: fixture.room.dir, name: "other.txt")
        let none = try snap(fixture.restoreArgs(nil, []))
        #expect(none.status == 77, "\(none)")
        #expect(none.stderr.contains("X25519") && none.stderr.contains("--identity"), "\(none)")
        try fixture.expectUnchanged("without an identity")
        let wrong = try snap(fixture.restoreArgs(nil, ["--identity", other.file]))
        #expect(wrong.status == 77, "\(wrong)")
        #expect(wrong.stderr.contains("X25519") && wrong.stderr.contains(other.file), "\(wrong)")
        #expect(!wrong.stderr.contains("AGE-SECRET-KEY"), "no key is ever printed")
        try fixture.expectUnchanged("with the wrong identity")
        let verifyWrong = try snap(["verify", fixture.archive, "--identity", other.file])
        #expect(verifyWrong.status == 77, "\(verifyWrong)")

        let right = try snap(fixture.restoreArgs(nil, ["--identity", fixture.key.file]))
        #expect(right.status == 0, "\(right)")
        #expect(try fixture.events() == "10", "the database is the archive's again")
        #expect(!FileManager.default.fileExists(atPath: fixture.marker), "the config directory is the archive's again")
    }

    @Test("a truncated or bit-flipped .tar.gz.age is exit 65 for verify and restore, nothing changed")
    func damagedEncryptedArchive() throws {
        let fixture = try EncryptedRoom()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture.archive)))
        var cases: [(String, [UInt8])] = [
            ("truncated", Array(bytes.dropLast(100))),
            ("cut in the header", Array(bytes.prefix(60))),
        ]
        // A byte of a stanza (type, share, wrapped key) changed reads as "not for this identity"
        // (age's "no match"); the sidecar turns that into damage: see sidecarTellsDamage.
        for offset in [150, 300, bytes.count / 2, bytes.count - 5] {
            var flipped = bytes
            flipped[offset] ^= 0x04
            cases.append(("bit flip at \(offset)", flipped))
        }
        for (what, content) in cases {
            let path = fixture.room.dir.file("damaged.tar.gz.age")
            try Data(content).write(to: URL(fileURLWithPath: path))
            let verify = try snap(["verify", path, "--identity", fixture.key.file])
            #expect(verify.status == 65, "\(what): \(verify)")
            let restore = try snap(fixture.restoreArgs(path, ["--identity", fixture.key.file]))
            #expect(restore.status == 65, "\(what): \(restore)")
            try fixture.expectUnchanged(what)
        }
    }

    @Test("a file made by `age -r` from one of our plain archives is verified and restored")
    func ageCLIFileIsRestored() throws {
        let fixture = try RestoreCLIRoom()
        let key = try AgeKey(in: fixture.room.dir)
        let sealed = fixture.archive + ".age"
        let made = try runProcess("/usr/bin/age", ["-r", key.recipient, "-o", sealed, fixture.archive])
        #expect(made.succeeded, "\(made)")
        let verify = try snap(["verify", sealed, "--identity", key.file])
        #expect(verify.status == 0, "\(verify)")
        let restore = try snap(fixture.restoreArgs(["--force", "--identity", key.file]).map { $0 == fixture.archive ? sealed : $0 })
        #expect(restore.status == 0, "\(restore)")
        #expect(try fixture.events() == "10")
    }

    @Test("SENTIENT_ENCRYPT_TO in the env file encrypts; list and status read encrypted archives with and without an identity")
    func envFileListAndStatus() throws {
        let room = try CLIRoom()
        let key = try AgeKey(in: room.dir)
        try room.writeEnv("SENTIENT_ENCRYPT_TO=\(key.recipient)\n")
        // 2 MiB that gzip cannot shrink, after manifest.json: reading the head must not read it.
        var noise = [UInt8](repeating: 0, count: 2 << 20)
        var state: UInt32 = 12345
        for i in noise.indices {
            state = state &* 1_103_515_245 &+ 12345
            noise[i] = UInt8(truncatingIfNeeded: state >> 16)
        }
        try Data(noise).write(to: URL(fileURLWithPath: room.rooms + "/pharaohs/noise.bin"))
        let backup = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags())
        #expect(backup.status == 0, "\(backup)")
        #expect((ageJSON(backup.stdout)?["archive"] as? String)?.hasSuffix(".tar.gz.age") == true, "\(backup)")

        let listed = try snap(["list", room.output, "--json", "--identity", key.file])
        let entry = ((try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8))) as? [[String: Any]])?.first
        #expect(entry?["encrypted"] as? Bool == true, "\(listed)")
        #expect(entry?["rows"] as? Int == 10, "\(listed)")
        #expect(entry?["error"] == nil, "\(listed)")
        let size = entry?["size"] as? Int ?? 0
        #expect((entry?["bytes_read"] as? Int ?? .max) < size, "only the head is read: \(listed)")
        let blind = try snap(["list", room.output])
        #expect(blind.status == 0 && blind.stdout.contains("encrypted"), "\(blind)")

        let status = try snap(["status", room.output, "--json"])
        #expect(status.status == 0, "without an identity the sidecar is checked: \(status)")
        let withKey = try snap(["status", room.output, "--json", "--identity", key.file])
        #expect(withKey.status == 0, "\(withKey)")
    }

    @Test("a changed byte in the age stanza is exit 65 when the sidecar disagrees, 77 naming the stanza type without a sidecar")
    func sidecarTellsDamage() throws {
        let fixture = try EncryptedRoom()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture.archive)))
        bytes[30] ^= 0x04  // in "X25519"
        try Data(bytes).write(to: URL(fileURLWithPath: fixture.archive))
        let damaged = try snap(["verify", fixture.archive, "--identity", fixture.key.file])
        #expect(damaged.status == 65, "\(damaged)")
        #expect(damaged.stderr.contains("sidecar"), "\(damaged)")
        try FileManager.default.removeItem(atPath: fixture.archive + ".sha256")
        let unknown = try snap(["verify", fixture.archive, "--identity", fixture.key.file])
        #expect(unknown.status == 77, "\(unknown)")
        #expect(unknown.stderr.contains("X2551"), "\(unknown)")
    }

    @Test("--recipients-file and repeated --encrypt-to: every recipient can decrypt; a bad recipient is a usage error with nothing written")
    func recipients() throws {
        let room = try CLIRoom()
        let a = try AgeKey(in: room.dir, name: "a.txt"), b = try AgeKey(in: room.dir, name: "b.txt"), c = try AgeKey(in: room.dir, name: "c.txt")
        try "# offsite\n\n\(c.recipient)\n".write(toFile: room.dir.file("recipients.txt"), atomically: true, encoding: .utf8)
        let bad = try snap(["backup", "pharaohs", room.output, "--allow-root", "--encrypt-to", "age1nope"] + room.flags())
        #expect(bad.status == 64, "\(bad)")
        #expect(try room.outputIsEmpty())
        let backup = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root", "--encrypt-to", a.recipient, "--encrypt-to", b.recipient,
                               "--recipients-file", room.dir.file("recipients.txt")] + room.flags())
        let archive = try #require(ageJSON(backup.stdout)?["archive"] as? String, "\(backup)")
        for key in [a, b, c] {
            let out = room.dir.file("out-\((key.file as NSString).lastPathComponent).tar.gz")
            let result = try runProcess("/usr/bin/age", ["-d", "-i", key.file, "-o", out, archive])
            #expect(result.succeeded, "\(result)")
        }
    }
}

@Suite("sync-offsite --encrypt-to", .timeLimit(.minutes(30)))
struct EncryptedOffsiteTests {
    @Test("offsite copies are .tar.gz.age with sidecars, local archives stay plain; a second sync encrypts and copies nothing")
    func encryptOnTheWayOut() throws {
        let room = try CLIRoom()
        let key = try AgeKey(in: room.dir)
        let first = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags())
        let plain = try #require(ageJSON(first.stdout)?["archive"] as? String, "\(first)")
        let target = room.dir.file("vault")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let args = ["sync-offsite", room.output, target, "--encrypt-to", key.recipient, "--json", "--allow-root"]

        let sync = try snap(args)
        #expect(sync.status == 0, "\(sync)")
        let name = (plain as NSString).lastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).sorted() == [name + ".age", name + ".age.sha256"])
        #expect(ageJSON(sync.stdout)?["encrypted"] as? [String] == [name], "\(sync)")
        #expect(ageJSON(sync.stdout)?["verified"] as? [String] == [name + ".age"], "\(sync)")
        let local = try FileManager.default.contentsOfDirectory(atPath: room.output).filter { !$0.hasPrefix(".") }.sorted()
        #expect(local == [name, name + ".sha256"], "local archives stay plain: \(local)")
        let copy = target + "/" + name + ".age"
        let decrypted = try runProcess("/usr/bin/age", ["-d", "-i", key.file, "-o", room.dir.file("back.tar.gz"), copy])
        #expect(decrypted.succeeded, "\(decrypted)")
        #expect(try fileSHA256(room.dir.file("back.tar.gz")) == (try fileSHA256(plain)))
        let verify = try snap(["verify", copy, "--identity", key.file])
        #expect(verify.status == 0, "\(verify)")
        let before = try FileManager.default.attributesOfItem(atPath: copy)

        let again = try snap(args)
        #expect(again.status == 0, "\(again)")
        #expect(ageJSON(again.stdout)?["encrypted"] as? [String] == [], "\(again)")
        #expect(ageJSON(again.stdout)?["transferred"] as? [String] == [], "\(again)")
        let after = try FileManager.default.attributesOfItem(atPath: copy)
        #expect(before[.systemFileNumber] as? Int == after[.systemFileNumber] as? Int)
        #expect(String(try String(contentsOfFile: copy + ".sha256", encoding: .utf8).prefix(64)) == (try fileSHA256(copy)))
    }
}

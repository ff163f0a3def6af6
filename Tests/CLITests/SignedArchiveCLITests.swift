import Foundation
import TestHarness
import Testing

/// ssh-keygen, the oracle for signed archives.
enum SSHKeygen {
    static let path = "/usr/bin/ssh-keygen"

    /// A new Ed25519 key pair at `path` (and `path.pub`); `passphrase` encrypts it.
    static func key(_ path: String, passphrase: String = "") throws {
        let made = try runProcess(Self.path, ["-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f", path])
        guard made.succeeded else { throw HarnessError("ssh-keygen failed: \(made)") }
    }

    /// An allowed_signers line trusting `key.pub` as `principal`, with `options`.
    static func allowedLine(_ key: String, principal: String = "backup@venue", options: String = "") throws -> String {
        let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return "\(principal) \(options.isEmpty ? "" : options + " ")\(pub)\n"
    }

    /// `ssh-keygen -Y verify -n sentient-snap` of `file` with `file.sig`.
    static func verify(_ file: String, allowedSigners: String, identity: String = "backup@venue") throws -> ToolResult {
        try runProcess("/bin/sh", ["-c", "exec \(path) -Y verify -n sentient-snap -f \"$1\" -I \"$2\" -s \"$3.sig\" < \"$3\"", "sh", allowedSigners, identity, file])
    }
}

/// A restore room whose archive was made by `backup --sign-key`, with the signing key, another
/// key, and allowed_signers files trusting one or the other.
struct SignedRoom {
    let fixture: RestoreCLIRoom
    var room: CLIRoom { fixture.room }
    var archive: String { fixture.archive }
    var keys: String { room.dir.path + "/keys" }
    var signKey: String { keys + "/sign_key" }
    var otherKey: String { keys + "/other_key" }
    /// Trusts the signing key (namespaces="sentient-snap").
    var trusted: String { keys + "/allowed_signers" }
    /// Trusts only the other key.
    var untrusted: String { keys + "/other_signers" }

    init() throws {
        let dir = try TempDir(prefix: "snap-keys")
        try SSHKeygen.key(dir.file("sign_key"))
        fixture = try RestoreCLIRoom(backupArgs: ["--sign-key", dir.file("sign_key")])
        try FileManager.default.createDirectory(atPath: fixture.room.dir.path + "/keys", withIntermediateDirectories: true)
        for name in ["sign_key", "sign_key.pub"] {
            try FileManager.default.copyItem(atPath: dir.file(name), toPath: fixture.room.dir.path + "/keys/" + name)
        }
        try SSHKeygen.key(otherKey)
        try SSHKeygen.allowedLine(signKey, options: "namespaces=\"sentient-snap\"").write(toFile: trusted, atomically: true, encoding: .utf8)
        try SSHKeygen.allowedLine(otherKey).write(toFile: untrusted, atomically: true, encoding: .utf8)
    }

    func verify(_ extra: [String] = [], environment: [String: String] = [:]) throws -> ToolResult {
        try snap(["verify", archive] + extra, environment: environment)
    }

    /// A forced restore with this room's flags.
    func restore(_ extra: [String] = []) throws -> ToolResult {
        try snap(fixture.restoreArgs(["--force"] + extra))
    }

    /// Replaces the signature with one by `key` (made by ssh-keygen), for `namespace`.
    func resign(with key: String, namespace: String = "sentient-snap") throws {
        try? FileManager.default.removeItem(atPath: archive + ".sig")
        let signed = try runProcess(SSHKeygen.path, ["-Y", "sign", "-n", namespace, "-f", key, archive])
        guard signed.succeeded else { throw HarnessError("ssh-keygen -Y sign failed: \(signed)") }
    }
}

@Suite("signed archives", .timeLimit(.minutes(30)))
struct SignedArchiveCLITests {
    @Test("backup --sign-key writes <archive>.sig (0600) that ssh-keygen -Y verify accepts; SENTIENT_SIGN_KEY does the same")
    func backupSigns() throws {
        let signed = try SignedRoom()
        let sig = signed.archive + ".sig"
        let mode = try FileManager.default.attributesOfItem(atPath: sig)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: sig, encoding: .utf8).hasPrefix("-----BEGIN SSH SIGNATURE-----\n"))
        let check = try SSHKeygen.verify(signed.archive, allowedSigners: signed.trusted)
        #expect(check.status == 0, "\(check)")
        #expect(try SSHKeygen.verify(signed.archive, allowedSigners: signed.untrusted).status != 0)
        // Nothing hidden is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: signed.room.output).filter { $0.hasPrefix(".") }.isEmpty)

        // From the env file, with --json naming the signature; a key others can read draws a warning.
        try signed.room.writeEnv("SENTIENT_SIGN_KEY=\(signed.signKey)\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: signed.signKey)
        let second = try snap(["backup", "pharaohs", signed.room.output, "--json", "--allow-root"] + signed.room.flags())
        #expect(second.status == 0, "\(second)")
        #expect(second.stderr.contains("can be read by other users (mode 640)"), "\(second.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any]
        let archive = try #require(object?["archive"] as? String)
        #expect(object?["signature"] as? String == archive + ".sig")
        #expect((object?["signed_by"] as? String)?.hasPrefix("SHA256:") == true)
        #expect(try SSHKeygen.verify(archive, allowedSigners: signed.trusted).status == 0)
    }

    @Test("backup with a key that cannot sign: 64 (encrypted, a public key) or 66 (missing), nothing written")
    func badSignKeys() throws {
        let room = try CLIRoom()
        let locked = room.dir.path + "/locked"
        try SSHKeygen.key(locked, passphrase: "correct horse")
        let cases: [(String, Int32, String)] = [
            (locked, 64, "passphrase"),
            (locked + ".pub", 64, "public key"),
            (room.dir.path + "/nowhere", 66, "cannot read the signing key"),
        ]
        for (key, status, phrase) in cases {
            let result = try snap(["backup", "pharaohs", room.output, "--sign-key", key, "--allow-root"] + room.flags())
            #expect(result.status == status, "\(key): \(result)")
            #expect(result.stderr.contains(phrase), "\(key): \(result.stderr)")
            #expect(!result.stderr.contains("PRIVATE KEY"))
            #expect(try room.outputIsEmpty(), "\(key): something was written")
        }
    }

    @Test("verify: a trusted signature passes and says by whom; without --trusted-keys it is checked and reported")
    func verifyReports() throws {
        let signed = try SignedRoom()
        let trusted = try signed.verify(["--trusted-keys", signed.trusted])
        #expect(trusted.status == 0, "\(trusted)")
        #expect(trusted.stdout.contains("signature valid, by SHA256:"), "\(trusted.stdout)")
        #expect(trusted.stdout.contains("trusted as backup@venue (line 1 of \(signed.trusted))"), "\(trusted.stdout)")

        let json = try signed.verify(["--json"])
        #expect(json.status == 0, "\(json)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let signature = try #require(object?["signature"] as? [String: Any])
        #expect(signature["trusted"] as? Bool == false)
        #expect(signature["hash"] as? String == "sha512")

        // A signature made by ssh-keygen itself is as good.
        try signed.resign(with: signed.signKey)
        #expect(try signed.verify(["--trusted-keys", signed.trusted]).status == 0)

        // SENTIENT_TRUSTED_KEYS, from the room's env file (the room the archive's name gives).
        try signed.room.writeEnv("SENTIENT_TRUSTED_KEYS=\(signed.untrusted)\n")
        let fromEnv = try signed.verify(["--env-dir", signed.room.env])
        #expect(fromEnv.status == 65, "\(fromEnv)")
        #expect(fromEnv.stderr.contains("SENTIENT_TRUSTED_KEYS in"), "\(fromEnv.stderr)")
    }

    @Test("verify refuses (65): an untrusted key, another namespace, a namespaces= that excludes ours, a missing or damaged .sig, a changed archive")
    func verifyRefuses() throws {
        let signed = try SignedRoom()
        let untrusted = try signed.verify(["--trusted-keys", signed.untrusted])
        #expect(untrusted.status == 65, "\(untrusted)")
        #expect(untrusted.stderr.contains("not trusted"), "\(untrusted.stderr)")

        let gitOnly = signed.keys + "/git_only"
        try SSHKeygen.allowedLine(signed.signKey, options: "namespaces=\"git\"").write(toFile: gitOnly, atomically: true, encoding: .utf8)
        let namespaces = try signed.verify(["--trusted-keys", gitOnly])
        #expect(namespaces.status == 65, "\(namespaces)")
        #expect(namespaces.stderr.contains("namespaces \"git\""), "\(namespaces.stderr)")

        // A damaged .sig is an error even without --trusted-keys.
        let sig = signed.archive + ".sig"
        let original = try String(contentsOfFile: sig, encoding: .utf8)
        var lines = original.split(separator: "\n").map(String.init)
        var middle = Array(lines[2])
        middle[10] = middle[10] == "A" ? "B" : "A"
        lines[2] = String(middle)
        try (lines.joined(separator: "\n") + "\n").write(toFile: sig, atomically: true, encoding: .utf8)
        let damaged = try signed.verify()
        #expect(damaged.status == 65, "\(damaged)")
        #expect(damaged.stderr.contains(".sig"), "\(damaged.stderr)")
        try String(original.prefix(original.count / 2)).write(toFile: sig, atomically: true, encoding: .utf8)
        #expect(try signed.verify().status == 65)
        // A .sig that is a link is not followed.
        try FileManager.default.removeItem(atPath: sig)
        try FileManager.default.createSymbolicLink(atPath: sig, withDestinationPath: signed.keys + "/sign_key.pub")
        let link = try signed.verify()
        #expect(link.status == 65, "\(link)")
        #expect(link.stderr.contains("symbolic link"), "\(link.stderr)")

        // Signed for another purpose by the right key: refused even without --trusted-keys.
        try signed.resign(with: signed.signKey, namespace: "file")
        let otherNamespace = try signed.verify()
        #expect(otherNamespace.status == 65, "\(otherNamespace)")
        #expect(otherNamespace.stderr.contains("namespace 'file'"), "\(otherNamespace.stderr)")

        // Required but missing.
        try FileManager.default.removeItem(atPath: sig)
        #expect(try signed.verify().status == 0, "an unsigned archive passes when no signature is required")
        let missing = try signed.verify(["--trusted-keys", signed.trusted])
        #expect(missing.status == 65, "\(missing)")
        #expect(missing.stderr.contains("is not signed"), "\(missing.stderr)")

        // The archive changed after signing (its sidecar rewritten to match): the signature catches it.
        try FileManager.default.copyItem(atPath: signed.archive, toPath: signed.archive + ".orig")
        try signed.resign(with: signed.signKey)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: signed.archive))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 512))
        try handle.close()
        let sum = try runProcess("sha256sum", [(signed.archive as NSString).lastPathComponent], currentDirectory: signed.room.output)
        try sum.stdout.write(toFile: signed.archive + ".sha256", atomically: true, encoding: .utf8)
        let changed = try signed.verify(["--trusted-keys", signed.trusted])
        #expect(changed.status == 65, "\(changed)")
        #expect(changed.stderr.contains("does not hold"), "\(changed.stderr)")
    }

    @Test("restore --trusted-keys: a trusted signature restores; an untrusted key, a missing .sig or a changed archive is 65 with nothing changed")
    func restoreTrust() throws {
        let signed = try SignedRoom()
        let untrusted = try signed.restore(["--trusted-keys", signed.untrusted])
        #expect(untrusted.status == 65, "\(untrusted)")
        #expect(untrusted.stderr.contains("not trusted"), "\(untrusted.stderr)")
        try signed.fixture.expectUnchanged("untrusted key")

        // A damaged .sig without --trusted-keys: refused as well.
        let sig = signed.archive + ".sig"
        let original = try Data(contentsOf: URL(fileURLWithPath: sig))
        try Data(original.prefix(100)).write(to: URL(fileURLWithPath: sig))
        let damaged = try signed.restore()
        #expect(damaged.status == 65, "\(damaged)")
        try signed.fixture.expectUnchanged("damaged .sig")

        try FileManager.default.removeItem(atPath: sig)
        let missing = try signed.restore(["--trusted-keys", signed.trusted])
        #expect(missing.status == 65, "\(missing)")
        try signed.fixture.expectUnchanged("missing .sig")

        // Signed by the right key, but the archive changed afterwards (a byte of padding at the end).
        try original.write(to: URL(fileURLWithPath: sig))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: signed.archive))
        var changedBytes = bytes
        changedBytes[changedBytes.count - 1] ^= 0x01
        try changedBytes.write(to: URL(fileURLWithPath: signed.archive))
        let changed = try signed.restore(["--trusted-keys", signed.trusted, "--verbose"])
        #expect(changed.status == 65, "\(changed)")
        // A required signature is checked over the whole file before the one pass starts: no
        // SQL from the changed archive runs, not even into a staging database.
        #expect(!changed.stderr.contains("restoring into staging"), "\(changed.stderr)")
        try signed.fixture.expectUnchanged("changed archive")

        try bytes.write(to: URL(fileURLWithPath: signed.archive))
        let restored = try signed.restore(["--trusted-keys", signed.trusted, "--json"])
        #expect(restored.status == 0, "\(restored)")
        let object = try JSONSerialization.jsonObject(with: Data(restored.stdout.utf8)) as? [String: Any]
        let signature = try #require(object?["signature"] as? [String: Any])
        #expect(signature["trusted"] as? Bool == true)
        #expect(signature["principals"] as? [String] == ["backup@venue"])
        #expect(try signed.fixture.events() == "10", "the database is the archive's again")
    }

    @Test("list marks signed archives; prune takes the .sig with its archive")
    func listAndPrune() throws {
        let signed = try SignedRoom()
        let list = try snap(["list", signed.room.output, "--json"])
        #expect(list.status == 0, "\(list)")
        let rows = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.first?["signature"] as? String == "present")
        let table = try snap(["list", signed.room.output])
        #expect(table.stdout.contains("signed (.sig)"), "\(table.stdout)")
    }
}

import Foundation
import TestHarness
import Testing

/// A source directory of archives (pseudo-random bytes) with real sidecars and a partial file.
struct S3SyncFixture {
    let dir: TempDir
    var source: String { dir.path + "/source" }
    let archives: [String]

    init(sizes: [Int] = [40 << 10, 50 << 10, 60 << 10]) throws {
        dir = try TempDir(prefix: "snap-s3sync")
        let names = ["sentient-pharaohs-20240101-020000.tar.gz", "sentient-pharaohs-20240102-020000.tar.gz", "sentient-clockwork-20240102-020000.tar.gz",
                     "sentient-clockwork-20240103-020000.tar.gz"]
        archives = Array(names.prefix(sizes.count))
        try FileManager.default.createDirectory(atPath: dir.path + "/source", withIntermediateDirectories: true)
        for (n, name) in archives.enumerated() { try Self.write(dir.path + "/source/" + name, size: sizes[n], seed: n + 1) }
        try Data("half".utf8).write(to: URL(fileURLWithPath: dir.path + "/source/.sentient-pharaohs-20240103-020000.tar.gz.partial"))
    }

    /// `size` pseudo-random bytes and a sha256sum sidecar.
    static func write(_ path: String, size: Int, seed: Int) throws {
        var bytes = [UInt8](repeating: 0, count: size)
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
        for i in bytes.indices { state ^= state << 13; state ^= state >> 7; state ^= state << 17; bytes[i] = UInt8(truncatingIfNeeded: state) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let name = (path as NSString).lastPathComponent
        let sum = try runProcess("sha256sum", [name], currentDirectory: (path as NSString).deletingLastPathComponent)
        try sum.stdout.write(toFile: path + ".sha256", atomically: true, encoding: .utf8)
    }

    /// Every object under `bucket/prefix` is an archive or sidecar of the source, byte for byte
    /// (read back with rclone's client), and exactly `names` with their sidecars are there.
    func check(_ server: TestS3, _ path: String, expect names: [String]) throws {
        let objects = try server.objects(path)
        let signatures = names.map { $0 + ".sig" }.filter { FileManager.default.fileExists(atPath: source + "/" + $0) }
        #expect(objects == (names + names.map { $0 + ".sha256" } + signatures).sorted(), "\(objects)")
        for name in objects {
            let remote = try server.read(path + "/" + name)
            let local = try Data(contentsOf: URL(fileURLWithPath: source + "/" + name))
            #expect(remote == local, "\(name) differs on the store")
        }
    }
}

func s3JSON(_ text: String) -> [String: Any] {
    ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]) ?? [:]
}

@Suite("sync-offsite to S3", .serialized, .timeLimit(.minutes(20)))
struct S3SyncTests {
    @Test("archives and sidecars byte-identical, no partials; a second sync uploads nothing; --dry-run, --include, --delete",
          arguments: [TestS3.Kind.rclone, .moto])
    func sync(_ kind: TestS3.Kind) throws {
        let server = try TestS3(kind)
        let fixture = try S3SyncFixture()
        let env = server.snapEnvironment
        let target = "s3://venue/offsite/nightly"
        // A detached signature (another feature writes them) travels like a sidecar.
        try Data("signature".utf8).write(to: URL(fileURLWithPath: fixture.source + "/" + fixture.archives[2] + ".sig"))

        let dry = try snap(["sync-offsite", fixture.source, target, "--dry-run", "--allow-root"], environment: env)
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("would copy sentient-clockwork-20240102-020000.tar.gz"), "\(dry.stdout)")
        #expect(try server.objects("venue").isEmpty, "a dry run uploaded something")

        let include = try snap(["sync-offsite", fixture.source, target, "--include", "sentient-pharaohs-20240101-*", "--allow-root"], environment: env)
        #expect(include.status == 0, "\(include)")
        try fixture.check(server, "venue/offsite/nightly", expect: ["sentient-pharaohs-20240101-020000.tar.gz"])

        let all = try snap(["sync-offsite", fixture.source, target, "--allow-root", "--json"], environment: env)
        #expect(all.status == 0, "\(all)")
        let result = s3JSON(all.stdout)
        #expect(result["target_kind"] as? String == "s3")
        #expect((result["transferred"] as? [String])?.count == 5, "\(all.stdout)")
        #expect((result["verified"] as? [String])?.count == 2, "\(all.stdout)")
        try fixture.check(server, "venue/offsite/nightly", expect: fixture.archives)

        let again = try snap(["sync-offsite", fixture.source, target, "--allow-root", "--json"], environment: env)
        #expect(again.status == 0, "\(again)")
        #expect((s3JSON(again.stdout)["transferred"] as? [String]) == [], "a second sync uploaded again: \(again.stdout)")

        // A changed file of the same size is uploaded again (the checksum differs).
        try S3SyncFixture.write(fixture.source + "/" + fixture.archives[1], size: 50 << 10, seed: 99)
        let changed = try snap(["sync-offsite", fixture.source, target, "--allow-root", "--json"], environment: env)
        #expect(changed.status == 0, "\(changed)")
        #expect(Set(s3JSON(changed.stdout)["transferred"] as? [String] ?? []) == [fixture.archives[1], fixture.archives[1] + ".sha256"], "\(changed.stdout)")
        try fixture.check(server, "venue/offsite/nightly", expect: fixture.archives)

        // --delete: what the source no longer has goes.
        for name in [fixture.archives[0], fixture.archives[0] + ".sha256"] { try FileManager.default.removeItem(atPath: fixture.source + "/" + name) }
        let keep = try snap(["sync-offsite", fixture.source, target, "--allow-root"], environment: env)
        #expect(keep.status == 0, "\(keep)")
        #expect(try server.objects("venue/offsite/nightly").contains(fixture.archives[0]), "deleted without --delete")
        let delete = try snap(["sync-offsite", fixture.source, target, "--delete", "--allow-root"], environment: env)
        #expect(delete.status == 0, "\(delete)")
        try fixture.check(server, "venue/offsite/nightly", expect: Array(fixture.archives.dropFirst()))

        // The empty-source guard holds for S3 too: exit 64, nothing deleted.
        let empty = fixture.dir.path + "/unmounted"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let refused = try snap(["sync-offsite", empty, target, "--delete", "--allow-root"], environment: env)
        #expect(refused.status == 64, "\(refused)")
        #expect(refused.stderr.contains("nothing was copied or deleted"), "\(refused.stderr)")
        try fixture.check(server, "venue/offsite/nightly", expect: Array(fixture.archives.dropFirst()))
    }

    @Test("above --part-size an archive goes as a multipart upload; killed mid-upload nothing is visible and the next sync completes and aborts the stale upload",
          arguments: [TestS3.Kind.rclone, .moto])
    func multipartAndKill(_ kind: TestS3.Kind) throws {
        let server = try TestS3(kind)
        let fixture = try S3SyncFixture(sizes: [12 << 20])
        let env = server.snapEnvironment
        let target = "s3://venue/big"
        let name = fixture.archives[0]

        // At 2 MiB/s the first 5 MiB part is paced for about 2.5 s: time to see it pending.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try productPath("sentient-snap"))
        process.arguments = ["sync-offsite", fixture.source, target, "--part-size", "5", "--bwlimit", "2048", "--allow-root"]
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var pending = 0
        while process.isRunning, Date() < deadline {
            pending = try server.pendingUploads("venue")
            if pending > 0 { break }
        }
        #expect(pending == 1, "no multipart upload was seen pending")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try server.objects("venue").isEmpty, "a killed upload left something visible")

        let resumed = try snap(["sync-offsite", fixture.source, target, "--part-size", "5", "--allow-root", "--json"], environment: env)
        #expect(resumed.status == 0, "\(resumed)")
        try fixture.check(server, "venue/big", expect: [name])
        #expect(try server.pendingUploads("venue") == 0, "the killed run's upload was not aborted")

        // The store's ETag is the multipart kind (MD5 of the part MD5s, "-3" for 12 MiB in 5 MiB parts).
        let again = try snap(["sync-offsite", fixture.source, target, "--part-size", "5", "--allow-root", "--json"], environment: env)
        #expect((s3JSON(again.stdout)["transferred"] as? [String]) == [], "\(again)")
    }

    @Test("errors: wrong secret 77, unreachable endpoint 69, missing bucket 66, no credentials 77; the secret is never printed")
    func errors() throws {
        let server = try TestS3()
        let fixture = try S3SyncFixture(sizes: [1024])
        var wrong = server.snapEnvironment
        wrong["AWS_SECRET_ACCESS_KEY"] = "not-the-secret-at-all"
        let denied = try snap(["sync-offsite", fixture.source, "s3://venue/x", "--allow-root"], environment: wrong)
        #expect(denied.status == 77, "\(denied)")
        #expect(!(denied.stdout + denied.stderr).contains("not-the-secret-at-all"))
        #expect(!(denied.stdout + denied.stderr).contains(server.secretKey))

        var nowhere = server.snapEnvironment
        nowhere["SENTIENT_OFFSITE_ENDPOINT"] = "http://127.0.0.1:\(try freeLoopbackPort())"
        let unreachable = try snap(["sync-offsite", fixture.source, "s3://venue/x", "--allow-root"], environment: nowhere)
        #expect(unreachable.status == 69, "\(unreachable)")

        let missing = try snap(["sync-offsite", fixture.source, "s3://no-such-bucket/x", "--allow-root"], environment: server.snapEnvironment)
        #expect(missing.status == 66, "\(missing)")

        var none = server.snapEnvironment
        none["AWS_ACCESS_KEY_ID"] = ""
        none["AWS_SECRET_ACCESS_KEY"] = ""
        none["HOME"] = fixture.dir.path
        let anonymous = try snap(["sync-offsite", fixture.source, "s3://venue/x", "--allow-root"], environment: none)
        #expect(anonymous.status == 77, "\(anonymous)")
        #expect(try server.objects("venue").isEmpty)

        // Keys in offsite.env (in SENTIENT_ENV_DIR) are used when the environment has none.
        let envDir = fixture.dir.path + "/env"
        try FileManager.default.createDirectory(atPath: envDir, withIntermediateDirectories: true)
        try "AWS_ACCESS_KEY_ID=\(server.accessKey)\nAWS_SECRET_ACCESS_KEY='\(server.secretKey)'\n".write(toFile: envDir + "/offsite.env", atomically: true, encoding: .utf8)
        none["SENTIENT_ENV_DIR"] = envDir
        let fromFile = try snap(["sync-offsite", fixture.source, "s3://venue/x", "--allow-root"], environment: none)
        #expect(fromFile.status == 0, "\(fromFile)")
        try fixture.check(server, "venue/x", expect: fixture.archives)
    }
}

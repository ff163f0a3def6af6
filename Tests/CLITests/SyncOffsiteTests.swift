import Foundation
import TestHarness
import Testing

/// A server child process (rsync daemon, sshd) that is killed when this object goes away.
private final class Server {
    let process = Process()
    let log: String

    init(_ executable: String, _ args: [String], log: String, port: Int) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        _ = FileManager.default.createFile(atPath: log, contents: Data())
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Wait until it accepts connections.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning {
                throw HarnessError("\(executable) exited with \(process.terminationStatus): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            if canConnectLoopback(port) { return }
            usleep(50_000)
        }
        process.terminate()
        throw HarnessError("\(executable) did not listen on 127.0.0.1:\(port) within 10 s: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// A source dir with archives (random bytes) and real sidecars, plus a partial file.
private struct SyncFixture {
    let dir: TempDir
    var source: String { dir.path + "/source" }
    let archives = ["sentient-pharaohs-20240101-020000.tar.gz", "sentient-pharaohs-20240102-020000.tar.gz", "sentient-clockwork-20240102-020000.tar.gz"]

    init(size: Int = 64 << 10) throws {
        dir = try TempDir(prefix: "snap-sync")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for (n, name) in archives.enumerated() {
            var bytes = [UInt8](repeating: 0, count: size)
            var state = UInt64(n + 1) &* 0x9E37_79B9_7F4A_7C15
            for i in bytes.indices { state ^= state << 13; state ^= state >> 7; state ^= state << 17; bytes[i] = UInt8(truncatingIfNeeded: state) }
            let path = source + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let sum = try runProcess("sha256sum", [name], currentDirectory: source)
            try sum.stdout.write(toFile: path + ".sha256", atomically: true, encoding: .utf8)
        }
        try Data("half".utf8).write(to: URL(fileURLWithPath: source + "/.sentient-pharaohs-20240103-020000.tar.gz.partial"))
    }

    func target(_ name: String) throws -> String {
        let path = dir.path + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Every archive in `target` matches its sidecar there (sha256sum -c), and no partial travelled.
    func checkTarget(_ target: String, expect names: [String]) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: target).filter { !$0.hasPrefix(".") || $0.hasSuffix(".partial") }
        #expect(Set(files) == Set(names + names.map { $0 + ".sha256" }), "\(files)")
        for name in names {
            let check = try runProcess("sha256sum", ["-c", name + ".sha256"], currentDirectory: target)
            #expect(check.status == 0, "\(name): \(check.stdout)\(check.stderr)")
        }
    }
}

@Suite("sync-offsite", .serialized, .timeLimit(.minutes(30)))
struct SyncOffsiteTests {
    @Test("to a local directory: archives with sidecars, no partials; --dry-run, --include, --delete, --bwlimit do what they say")
    func local() throws {
        let fixture = try SyncFixture()
        let target = try fixture.target("nas")

        let dry = try snap(["sync-offsite", fixture.source, target, "--dry-run", "--allow-root"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty, "a dry run copied something")
        #expect(dry.stdout.contains("would copy sentient-clockwork-20240102-020000.tar.gz"))

        // --include picks one archive; its sidecar travels with it.
        let include = try snap(["sync-offsite", fixture.source, target, "--include", "sentient-pharaohs-20240101-*.tar.gz", "--allow-root", "--json"])
        #expect(include.status == 0, "\(include.stderr)")
        try fixture.checkTarget(target, expect: ["sentient-pharaohs-20240101-020000.tar.gz"])

        let all = try snap(["sync-offsite", fixture.source, target, "--allow-root", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any]
        #expect((object?["verified"] as? [String])?.count == 2)
        try fixture.checkTarget(target, expect: fixture.archives)

        // --delete: what the source no longer has goes; hidden files on the target stay.
        try FileManager.default.removeItem(atPath: fixture.source + "/" + fixture.archives[0])
        try FileManager.default.removeItem(atPath: fixture.source + "/" + fixture.archives[0] + ".sha256")
        try Data("mine".utf8).write(to: URL(fileURLWithPath: target + "/.keep"))
        let noDelete = try snap(["sync-offsite", fixture.source, target, "--allow-root"])
        #expect(noDelete.status == 0)
        #expect(FileManager.default.fileExists(atPath: target + "/" + fixture.archives[0]), "deleted without --delete")
        let delete = try snap(["sync-offsite", fixture.source, target, "--delete", "--allow-root"])
        #expect(delete.status == 0, "\(delete.stderr)")
        try fixture.checkTarget(target, expect: Array(fixture.archives.dropFirst()))
        #expect(FileManager.default.fileExists(atPath: target + "/.keep"))

        // --bwlimit: 3 x 64 KiB at 32 KiB/s takes seconds; unlimited it takes a blink.
        let slowTarget = try fixture.target("slow")
        let started = Date()
        let slow = try snap(["sync-offsite", fixture.source, slowTarget, "--bwlimit=32", "--allow-root"])
        let took = Date().timeIntervalSince(started)
        #expect(slow.status == 0, "\(slow.stderr)")
        #expect(took >= 2.0, "--bwlimit=32 moved 128 KiB in \(took) s")

        // A sidecar that does not match the copied archive is caught on the target.
        let badSource = try fixture.target("bad-source")
        let badTarget = try fixture.target("bad-target")
        try Data("abc".utf8).write(to: URL(fileURLWithPath: badSource + "/sentient-x-20240101-020000.tar.gz"))
        try "\(String(repeating: "0", count: 64))  sentient-x-20240101-020000.tar.gz\n".write(toFile: badSource + "/sentient-x-20240101-020000.tar.gz.sha256", atomically: true, encoding: .utf8)
        let mismatch = try snap(["sync-offsite", badSource, badTarget, "--allow-root"])
        #expect(mismatch.status == 65, "\(mismatch.stderr)")
    }

    @Test("signatures travel with their archives: all of them, and with --include; --exclude leaves them")
    func signatures() throws {
        let fixture = try SyncFixture()
        for name in fixture.archives {
            try "-----BEGIN SSH SIGNATURE-----\n\(name)\n-----END SSH SIGNATURE-----\n".write(toFile: fixture.source + "/" + name + ".sig", atomically: true, encoding: .utf8)
        }
        try Data("sig".utf8).write(to: URL(fileURLWithPath: fixture.source + "/.sentient-pharaohs-20240101-020000.tar.gz.sig.partial"))
        let picked = try fixture.target("picked")
        let include = try snap(["sync-offsite", fixture.source, picked, "--include", "sentient-pharaohs-20240101-*.tar.gz", "--allow-root"])
        #expect(include.status == 0, "\(include.stderr)")
        let name = fixture.archives[0]
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: picked)) == [name, name + ".sha256", name + ".sig"])
        #expect(try String(contentsOfFile: picked + "/" + name + ".sig", encoding: .utf8).contains(name))

        let rest = try fixture.target("rest")
        let exclude = try snap(["sync-offsite", fixture.source, rest, "--exclude", "sentient-pharaohs-20240101-*.tar.gz", "--allow-root"])
        #expect(exclude.status == 0, "\(exclude.stderr)")
        let others = Array(fixture.archives.dropFirst())
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: rest)) == Set(others.flatMap { [$0, $0 + ".sha256", $0 + ".sig"] }))
    }

    @Test("--delete refuses (exit 64, nothing changed) an empty source and deleting over half the target's archives, unless --allow-mass-delete")
    func massDeleteGuard() throws {
        let fixture = try SyncFixture(size: 1024)
        let target = try fixture.target("nas")
        let first = try snap(["sync-offsite", fixture.source, target, "--allow-root"])
        #expect(first.status == 0, "\(first.stderr)")
        try fixture.checkTarget(target, expect: fixture.archives)

        // The share that should hold the backups is not mounted: an empty directory.
        let empty = try fixture.target("unmounted")
        let refused = try snap(["sync-offsite", empty, target, "--delete", "--allow-root"])
        #expect(refused.status == 64, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains(empty) && refused.stderr.contains("--allow-mass-delete"), "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing was copied or deleted"), "\(refused.stderr)")
        try fixture.checkTarget(target, expect: fixture.archives)

        // Two of the three archives gone from the source: deleting 2 of 3 on the target is over half.
        for name in fixture.archives.prefix(2) {
            try FileManager.default.removeItem(atPath: fixture.source + "/" + name)
            try FileManager.default.removeItem(atPath: fixture.source + "/" + name + ".sha256")
        }
        let tooMany = try snap(["sync-offsite", fixture.source, target, "--delete", "--allow-root"])
        #expect(tooMany.status == 64, "\(tooMany.stdout)\(tooMany.stderr)")
        #expect(tooMany.stderr.contains("2 of the 3 archives"), "\(tooMany.stderr)")
        try fixture.checkTarget(target, expect: fixture.archives)

        // A dry run still shows what would go, and changes nothing.
        let dry = try snap(["sync-offsite", fixture.source, target, "--delete", "--dry-run", "--allow-root", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        try fixture.checkTarget(target, expect: fixture.archives)

        let allowed = try snap(["sync-offsite", fixture.source, target, "--delete", "--allow-mass-delete", "--allow-root", "--json"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        try fixture.checkTarget(target, expect: [fixture.archives[2]])
        let object = try JSONSerialization.jsonObject(with: Data(allowed.stdout.utf8)) as? [String: Any]
        #expect(Set(object?["deleted"] as? [String] ?? []) == Set(fixture.archives.prefix(2).flatMap { [$0, $0 + ".sha256"] }))
    }

    @Test("errors: missing target dir 73, missing key 66, unreachable host 69, env defaults")
    func errors() throws {
        let fixture = try SyncFixture(size: 1024)
        let missing = try snap(["sync-offsite", fixture.source, fixture.dir.path + "/nope", "--allow-root"])
        #expect(missing.status == 73, "\(missing.stderr)")
        let key = try snap(["sync-offsite", fixture.source, "backup@127.0.0.1:/srv", "--ssh-key", "/nonexistent/key", "--allow-root"])
        #expect(key.status == 66, "\(key.stderr)")
        #expect(key.stderr.contains("/nonexistent/key"))
        let port = try freeLoopbackPort()
        let ssh = try snap(["sync-offsite", fixture.source, "root@127.0.0.1:/tmp/x", "--ssh-port", String(port), "--allow-root"])
        #expect(ssh.status == 69, "\(ssh.stderr)")
        let daemon = try snap(["sync-offsite", fixture.source, "rsync://127.0.0.1:\(port)/backups", "--allow-root"])
        #expect(daemon.status == 69, "\(daemon.stderr)")
        let noTarget = try snap(["sync-offsite", fixture.source, "--allow-root"], environment: ["SENTIENT_OFFSITE_TARGET": ""])
        #expect(noTarget.status == 64)
        let target = try fixture.target("from-env")
        let fromEnv = try snap(["sync-offsite", fixture.source, "--allow-root"], environment: ["SENTIENT_OFFSITE_TARGET": target])
        #expect(fromEnv.status == 0, "\(fromEnv.stderr)")
        try fixture.checkTarget(target, expect: fixture.archives)
    }

    @Test("to an rsync daemon on 127.0.0.1")
    func daemon() throws {
        let fixture = try SyncFixture()
        let module = try fixture.target("module")
        let port = try freeLoopbackPort()
        let conf = fixture.dir.path + "/rsyncd.conf"
        try """
            use chroot = no
            pid file = \(fixture.dir.path)/rsyncd.pid
            [backups]
              path = \(module)
              read only = no
              uid = \(geteuid())
              gid = \(getegid())

            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let server = try Server(try resolveExecutable("rsync"), ["--daemon", "--no-detach", "--config=\(conf)", "--port=\(port)", "--address=127.0.0.1"],
                                log: fixture.dir.path + "/rsyncd.log", port: port)
        let result = try snap(["sync-offsite", fixture.source, "rsync://127.0.0.1:\(port)/backups", "--allow-root"])
        #expect(result.status == 0, "\(result.stderr)")
        try fixture.checkTarget(module, expect: fixture.archives)
        // The mass-delete guard counts on the daemon through rsync's own dry run.
        let empty = try fixture.target("unmounted")
        let refused = try snap(["sync-offsite", empty, "rsync://127.0.0.1:\(port)/backups", "--delete", "--allow-root"])
        #expect(refused.status == 64, "\(refused.stderr)")
        try FileManager.default.removeItem(atPath: fixture.source + "/" + fixture.archives[0])
        try FileManager.default.removeItem(atPath: fixture.source + "/" + fixture.archives[1])
        let tooMany = try snap(["sync-offsite", fixture.source, "rsync://127.0.0.1:\(port)/backups", "--delete", "--allow-root"])
        #expect(tooMany.status == 64, "\(tooMany.stderr)")
        #expect(tooMany.stderr.contains("2 of the 3 archives"), "\(tooMany.stderr)")
        try fixture.checkTarget(module, expect: fixture.archives)
        withExtendedLifetime(server) {}
    }

    @Test("to sshd on 127.0.0.1 with a generated key")
    func ssh() throws {
        guard geteuid() == 0 else { return }  // sshd needs root here (privilege separation)
        let fixture = try SyncFixture()
        let target = try fixture.target("remote")
        let work = fixture.dir.path
        for (file, comment) in [("host_key", "host"), ("client_key", "client")] {
            let keygen = try runProcess("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", "\(work)/\(file)"])
            #expect(keygen.status == 0, "\(keygen.stderr)")
        }
        try FileManager.default.copyItem(atPath: "\(work)/client_key.pub", toPath: "\(work)/authorized_keys")
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        try """
            ListenAddress 127.0.0.1
            HostKey \(work)/host_key
            PidFile \(work)/sshd.pid
            AuthorizedKeysFile \(work)/authorized_keys
            StrictModes no
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no

            """.write(toFile: "\(work)/sshd_config", atomically: true, encoding: .utf8)
        let sshd = try Server("/usr/sbin/sshd", ["-D", "-e", "-f", "\(work)/sshd_config", "-p", String(port)], log: "\(work)/sshd.log", port: port)
        let hostOptions = ["--ssh-option", "StrictHostKeyChecking=no", "--ssh-option", "UserKnownHostsFile=/dev/null"]
        let result = try snap(["sync-offsite", fixture.source, "root@127.0.0.1:\(target)", "--ssh-port", String(port),
                               "--ssh-key", "\(work)/client_key", "--allow-root"] + hostOptions)
        #expect(result.status == 0, "\(result.stderr)\n\((try? String(contentsOfFile: sshd.log, encoding: .utf8)) ?? "")")
        try fixture.checkTarget(target, expect: fixture.archives)

        // The mass-delete guard counts over ssh through rsync's own dry run.
        let empty = try fixture.target("unmounted")
        let refused = try snap(["sync-offsite", empty, "root@127.0.0.1:\(target)", "--delete", "--ssh-port", String(port),
                                "--ssh-key", "\(work)/client_key", "--allow-root"] + hostOptions)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("all 3 archive(s)"), "\(refused.stderr)")
        try fixture.checkTarget(target, expect: fixture.archives)

        // A key the server does not know: authentication fails, exit 77.
        let other = try runProcess("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", "\(work)/other_key"])
        #expect(other.status == 0)
        let denied = try snap(["sync-offsite", fixture.source, "root@127.0.0.1:\(target)", "--ssh-port", String(port),
                               "--ssh-key", "\(work)/other_key", "--allow-root"] + hostOptions)
        #expect(denied.status == 77, "\(denied.stderr)")
        withExtendedLifetime(sshd) {}
    }
}

import Foundation
import PGWire
import TestHarness
import Testing

/// A room backed up once through the CLI, shared by the checks below.
private func backedUpRoom() throws -> (room: CLIRoom, archive: String) {
    let room = try CLIRoom()
    let result = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags())
    guard result.status == 0,
          let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
          let archive = object["archive"] as? String
    else { throw HarnessError("backup failed: \(result)") }
    return (room, archive)
}

private func copy(_ archive: String, to path: String, _ change: (inout Data) -> Void) throws -> String {
    var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
    change(&bytes)
    try bytes.write(to: URL(fileURLWithPath: path))
    return path
}

/// The wrappers' directory, copied with a given sentient-snap beside nothing: they find it on PATH.
private var wrapperDir: String { packageRoot + "/ops/backup" }

private func pathWithSnap() throws -> String {
    let dir = (try productPath("sentient-snap") as NSString).deletingLastPathComponent
    return dir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
}

@Suite("operations command line", .timeLimit(.minutes(30)))
struct OpsCLITests {
    @Test("verify exits 65 on a flipped byte, a truncated archive, a sidecar mismatch and a tampered manifest checksum")
    func verifyCatches() throws {
        let (room, archive) = try backedUpRoom()
        let good = try snap(["verify", archive])
        #expect(good.status == 0, "\(good.stderr)")

        let flipped = try copy(archive, to: room.dir.file("flipped.tar.gz")) { $0[$0.count / 2] ^= 0x04 }
        let truncated = try copy(archive, to: room.dir.file("truncated.tar.gz")) { $0 = $0.prefix($0.count - 100) }
        for damaged in [flipped, truncated] {
            let result = try snap(["verify", damaged])
            #expect(result.status == 65, "\(damaged): \(result.stderr)")
        }

        let sidecar = try copy(archive, to: room.dir.file("sentient-pharaohs-20200101-000000.tar.gz")) { _ in }
        try "\(String(repeating: "ab", count: 32))  sentient-pharaohs-20200101-000000.tar.gz\n".write(toFile: sidecar + ".sha256", atomically: true, encoding: .utf8)
        let mismatch = try snap(["verify", sidecar])
        #expect(mismatch.status == 65)
        #expect(mismatch.stderr.contains(".sha256 does not match"))

        // Same archive rebuilt with one config file changed after its checksum was recorded.
        let work = room.dir.file("tamper")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        #expect(try runProcess("tar", ["-xzf", archive, "-C", work]).status == 0)
        let top = try #require(try FileManager.default.contentsOfDirectory(atPath: work).first)
        try "tampered\n".write(toFile: "\(work)/\(top)/config/room.yaml", atomically: true, encoding: .utf8)
        let tampered = room.dir.file("tampered.tar.gz")
        #expect(try runProcess("tar", ["-czf", tampered, "-C", work, top]).status == 0)
        let manifest = try snap(["verify", tampered])
        #expect(manifest.status == 65)
        #expect(manifest.stderr.contains("config/room.yaml"))
    }

    @Test("prune and sync-offsite refuse root without --allow-root; verify, list, status and export do not")
    func rootChecks() throws {
        guard geteuid() == 0 else { return }
        let (room, archive) = try backedUpRoom()
        let target = room.dir.file("offsite")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for args in [["prune", room.output], ["sync-offsite", room.output, target]] {
            let refused = try snap(args)
            #expect(refused.status == 77, "\(args[0]): \(refused.stderr)")
            #expect(refused.stderr.contains("--allow-root"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
        for args in [["verify", archive], ["list", room.output], ["status", room.output], ["export", archive, "--dump", room.dir.file("x.dump")]] {
            let result = try snap(args)
            #expect(result.status == 0, "\(args[0]): \(result.stderr)")
        }
        #expect(try snap(["prune", room.output, "--allow-root"]).status == 0)
    }

    @Test("status exits 75 for a stale backup and 0 for a fresh one; list --json names the room")
    func statusAndList() throws {
        let (room, archive) = try backedUpRoom()
        let fresh = try snap(["status", room.output, "--max-age", "1h"])
        #expect(fresh.status == 0, "\(fresh.stdout)\(fresh.stderr)")
        let old = room.output + "/sentient-pharaohs-20200101-000000.tar.gz"
        try FileManager.default.moveItem(atPath: archive, toPath: old)
        try FileManager.default.removeItem(atPath: archive + ".sha256")
        let stale = try snap(["status", room.output, "--max-age", "26h", "--json"])
        #expect(stale.status == 75, "\(stale.stdout)")
        #expect(stale.stdout.contains("over the maximum"))
        let missing = try snap(["status", room.output, "--room", "clockwork"])
        #expect(missing.status == 75)
        let list = try snap(["list", room.output, "--json"])
        let array = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(array?.first?["room"] as? String == "pharaohs")
        #expect(array?.first?["rows"] as? Int == 10)
        let export = try snap(["export", old, "--sql", "-"])
        #expect(export.status == 0)
        #expect(export.stdout.contains("COPY public.events"))
    }

    @Test("status --check-db names a room database left with ALLOW_CONNECTIONS false (exit 75), and is 0 once it is open")
    func statusNamesBlockedDatabase() throws {
        let (room, _) = try backedUpRoom()
        let name = room.database.name
        let args = ["status", room.output, "--room", "pharaohs", "--check-db"] + room.flags()
        let open = try snap(args)
        #expect(open.status == 0, "\(open)")
        try room.database.server.admin { try $0.execute("ALTER DATABASE \(quoteIdentifier(name)) ALLOW_CONNECTIONS false") }
        defer { try? room.database.server.admin { try $0.execute("ALTER DATABASE \(quoteIdentifier(name)) ALLOW_CONNECTIONS true") } }
        let blocked = try snap(args)
        #expect(blocked.status == 75, "\(blocked)")
        #expect(blocked.stdout.contains(name) && blocked.stdout.contains("ALLOW_CONNECTIONS false"), "\(blocked.stdout)")
        #expect(blocked.stdout.contains("ALTER DATABASE"), "it says what to run: \(blocked.stdout)")
    }

    @Test("hooks see the outcome in SENTIENT_HOOK_*; a failing hook does not change the exit status")
    func hooks() throws {
        let room = try CLIRoom()
        let log = room.dir.file("hook.log")
        let hook = "echo \"$SENTIENT_HOOK_COMMAND|$SENTIENT_HOOK_ROOM|$SENTIENT_HOOK_EXIT_CODE|$SENTIENT_HOOK_ARCHIVE|$SENTIENT_HOOK_MESSAGE\" >> \(log); exit 3"
        let ok = try snap(["backup", "pharaohs", room.output, "--allow-root", "--quiet", "--on-success", hook, "--on-failure", "echo never >> \(log)"] + room.flags())
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stderr.contains("hook failed"))
        let failed = try snap(["backup", "pharaohs", room.output + "/missing", "--allow-root", "--on-failure", hook] + room.flags())
        #expect(failed.status == 73)
        let refused = try snap(["sync-offsite", room.output, room.dir.path, "--on-failure", hook])
        if geteuid() == 0 { #expect(refused.status == 77) }
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.count == (geteuid() == 0 ? 3 : 2))
        #expect(lines[0][0...2] == ["backup", "pharaohs", "0"])
        #expect(lines[0][3].hasPrefix(room.output + "/sentient-pharaohs-"))
        #expect(lines[1][0...2] == ["backup", "pharaohs", "73"])
        #expect(lines[1][4].contains("does not exist"))
        if geteuid() == 0 { #expect(lines[2][0...2] == ["sync-offsite", "", "77"]) }
    }

    @Test("backup-all: every room with an env file, a failed room does not stop the others, exit 1 and a summary")
    func backupAll() throws {
        let room = try CLIRoom()
        let db = room.database.settings
        let common = "SENTIENT_HOST=\(db.host!)\nSENTIENT_PG_USER=\(db.user!)\nSENTIENT_PG_DATABASE=\(room.database.name)\nSENTIENT_ROOMS_DIR=\(room.rooms)\n"
        try room.writeEnv(common + "SENTIENT_PG_PORT=\(db.port!)\n", room: "pharaohs")
        try FileManager.default.copyItem(atPath: room.rooms + "/pharaohs", toPath: room.rooms + "/sphinx")
        try FileManager.default.copyItem(atPath: room.rooms + "/pharaohs", toPath: room.rooms + "/broken")
        try room.writeEnv(common + "SENTIENT_PG_PORT=\(db.port!)\n", room: "sphinx")
        try room.writeEnv(common + "SENTIENT_PG_PORT=\(try freeLoopbackPort())\n", room: "broken")
        let result = try snap(["backup-all", room.output, "--env-dir", room.env, "--parallel", "2", "--allow-root", "--json"])
        #expect(result.status == 1, "\(result.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let rooms = summary?["rooms"] as? [[String: Any]] ?? []
        #expect(rooms.map { $0["room"] as? String } == ["broken", "pharaohs", "sphinx"])
        #expect(rooms.map { $0["ok"] as? Bool } == [false, true, true])
        #expect(rooms.first?["exit_code"] as? Int == 69)
        #expect(summary?["failed"] as? Int == 1)
        let archives = try FileManager.default.contentsOfDirectory(atPath: room.output).filter { $0.hasSuffix(".tar.gz") }
        #expect(archives.count == 2)
        let second = room.dir.file("second")
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        let table = try snap(["backup-all", second, "--env-dir", room.env, "--allow-root", "--no-config"])
        #expect(table.stdout.contains("FAILED (69)"))
        #expect(table.stdout.contains("2 of 3 room(s) backed up"))
    }

    @Test("status and list: an archive dated in the future is reported, never taken as the newest or the fresh one")
    func futureDated() throws {
        let (room, archive) = try backedUpRoom()
        let future = room.output + "/sentient-pharaohs-20991231-235959.tar.gz"
        try FileManager.default.copyItem(atPath: archive, toPath: future)
        // The real newest is fresh; the future-dated one needs a person (exit 75) but is not "the newest".
        let fresh = try snap(["status", room.output, "--max-age", "1h", "--json"])
        #expect(fresh.status == 75, "\(fresh.stdout)\(fresh.stderr)")
        let statuses = try JSONSerialization.jsonObject(with: Data(fresh.stdout.utf8)) as? [[String: Any]]
        #expect(statuses?.first?["archive"] as? String == archive)
        #expect(statuses?.first?["future_dated"] as? [String] == [future])
        #expect(fresh.stdout.contains("in the future"))

        // The real newest is stale: the future-dated one does not make the room look fresh.
        let old = room.output + "/sentient-pharaohs-20200101-000000.tar.gz"
        try FileManager.default.moveItem(atPath: archive, toPath: old)
        try FileManager.default.removeItem(atPath: archive + ".sha256")
        let stale = try snap(["status", room.output, "--max-age", "26h"])
        #expect(stale.status == 75, "\(stale.stdout)\(stale.stderr)")
        #expect(stale.stdout.contains("over the maximum"), "\(stale.stdout)")
        #expect(stale.stdout.contains("sentient-pharaohs-20200101-000000.tar.gz"), "\(stale.stdout)")

        let list = try snap(["list", room.output, "--json"])
        let array = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(array.first { $0["path"] as? String == future }?["future_dated"] as? Bool == true)
        #expect(array.first { $0["path"] as? String == old }?["future_dated"] as? Bool == false)
        let table = try snap(["list", room.output])
        let line = table.stdout.split(separator: "\n").first { $0.contains("2099") }.map(String.init) ?? ""
        #expect(line.contains("in the future"), "\(table.stdout)")
    }

    @Test("hooks get no password or secret key in their environment; with --json their stdout goes to stderr and stdout stays JSON")
    func hookEnvironmentAndJSON() throws {
        let room = try CLIRoom()
        let log = room.dir.file("hook-env")
        let secrets = ["PGPASSWORD": "pg-secret-1", "SENTIENT_PG_PASSWORD": "pg-secret-2", "SENTIENT_MQTT_PASSWORD": "mqtt-secret-3",
                       "AWS_SECRET_ACCESS_KEY": "aws-secret-4", "AWS_SESSION_TOKEN": "aws-token-5", "SMTP_PASS": "smtp-secret-6",
                       "WEBHOOK_SECRET": "hook-secret-7"]
        let environment = secrets.merging(["SNAP_TEST_KEPT": "kept-8"]) { $1 }
        let result = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt", "--json",
                               "--on-success", "env > \(log); echo hello from the hook"] + room.flags(), environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["archive"] is String, "stdout is not one JSON object: \(result.stdout)")
        #expect(result.stderr.contains("hello from the hook"))
        let env = try String(contentsOfFile: log, encoding: .utf8)
        for (name, value) in secrets {
            #expect(!env.contains("\n\(name)=") && !env.hasPrefix("\(name)="), "\(name) reached the hook")
            #expect(!env.contains(value), "the value of \(name) reached the hook")
        }
        #expect(env.contains("SNAP_TEST_KEPT=kept-8"))
        #expect(env.contains("SENTIENT_HOOK_COMMAND=backup"))
    }

    @Test("backup-all: offsite.env and env files that set no room key are not rooms, and are named as skipped")
    func backupAllSkipsNonRooms() throws {
        let room = try CLIRoom()
        let db = room.database.settings
        try room.writeEnv("SENTIENT_HOST=\(db.host!)\nSENTIENT_PG_PORT=\(db.port!)\nSENTIENT_PG_USER=\(db.user!)\nSENTIENT_PG_DATABASE=\(room.database.name)\nSENTIENT_ROOMS_DIR=\(room.rooms)\n")
        try room.writeEnv("SENTIENT_OFFSITE_TARGET=backup@vault:/srv/sentient\nSENTIENT_OFFSITE_BWLIMIT=2000\n", room: "offsite")
        try room.writeEnv("# notes for the technician\nFOO=bar\n", room: "notes")
        let result = try snap(["backup-all", room.output, "--env-dir", room.env, "--allow-root", "--no-mqtt", "--json",
                               "--on-success", "echo hook says hi"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let summary = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let rooms = summary?["rooms"] as? [[String: Any]] ?? []
        #expect(rooms.map { $0["room"] as? String } == ["pharaohs"], "\(result.stdout)")
        #expect(rooms.first?["ok"] as? Bool == true)
        let skipped = summary?["skipped"] as? [[String: Any]] ?? []
        #expect(skipped.map { $0["file"] as? String } == ["notes.env", "offsite.env"], "\(result.stdout)")
        #expect(result.stderr.contains("hook says hi"))

        let second = room.dir.file("second")
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        let table = try snap(["backup-all", second, "--env-dir", room.env, "--allow-root", "--no-mqtt"])
        #expect(table.status == 0, "\(table.stdout)\(table.stderr)")
        #expect(table.stdout.contains("1 of 1 room(s) backed up"), "\(table.stdout)")
        #expect(table.stderr.contains("offsite.env") && table.stderr.contains("notes.env"), "\(table.stderr)")
    }

    @Test("the drop-in wrappers accept the old scripts' arguments")
    func wrappers() throws {
        let room = try CLIRoom()
        let db = room.database.settings
        try room.writeEnv("SENTIENT_HOST=\(db.host!)\nSENTIENT_PG_PORT=\(db.port!)\nSENTIENT_PG_USER=\(db.user!)\nSENTIENT_PG_DATABASE=\(room.database.name)\nSENTIENT_ROOMS_DIR=\(room.rooms)\n")
        let env = ["PATH": try pathWithSnap(), "SENTIENT_ENV_DIR": room.env, "PGPASSFILE": TestPostgres.noPassfile]
        let backup = try runProcess(wrapperDir + "/backup-room.sh", ["pharaohs", room.output], environment: env, timeout: 120)
        #expect(backup.status == 0, "\(backup)")
        let archives = try FileManager.default.contentsOfDirectory(atPath: room.output).filter { $0.hasSuffix(".tar.gz") }
        let archive = try #require(archives.first.map { room.output + "/" + $0 })

        let target = try room.database.server.createDatabase(prefix: "wrap_restore")
        defer { try? target.drop() }
        let restore = try runProcess(wrapperDir + "/restore-room.sh", ["pharaohs", archive, "--force", "--room-control", "none", "--no-wait", "--pg-database", target.name],
                                     environment: env, timeout: 120)
        #expect(restore.status == 0, "\(restore)")
        #expect(try target.psql("SELECT count(*) FROM events") == "10")

        let offsite = room.dir.file("offsite")
        try FileManager.default.createDirectory(atPath: offsite, withIntermediateDirectories: true)
        let sync = try runProcess(wrapperDir + "/sync-offsite.sh", [room.output, offsite, "--dry-run"], environment: env, timeout: 60)
        #expect(sync.status == 0, "\(sync)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: offsite).isEmpty)
        let realSync = try runProcess(wrapperDir + "/sync-offsite.sh", [room.output, offsite], environment: env, timeout: 60)
        #expect(realSync.status == 0, "\(realSync)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: offsite).sorted() == [(archive as NSString).lastPathComponent, (archive as NSString).lastPathComponent + ".sha256"])

        // cleanup-backups.sh <dir> <days>: keep-within, newest always kept.
        for day in 1...9 { _ = FileManager.default.createFile(atPath: room.output + "/sentient-pharaohs-2020010\(day)-020000.tar.gz", contents: Data()) }
        let cleanup = try runProcess(wrapperDir + "/cleanup-backups.sh", [room.output, "3"], environment: env, timeout: 60)
        #expect(cleanup.status == 0, "\(cleanup)")
        let left = try FileManager.default.contentsOfDirectory(atPath: room.output).filter { $0.hasSuffix(".tar.gz") }
        #expect(left == [(archive as NSString).lastPathComponent], "only the newest (today's) backup is within 3 days of itself")
        let usage = try runProcess(wrapperDir + "/cleanup-backups.sh", [room.output], environment: env)
        #expect(usage.status == 64)
    }

    @Test("restore-room.sh in a checkout beside ops/docker/start-room.sh passes --create-room and a start command that runs it with ROOM API MQTT PG; elsewhere, or with the user's own, it passes none")
    func restoreWrapperStartScript() throws {
        let dir = try TempDir(prefix: "snap-checkout")
        let checkout = dir.path + "/engine it's"
        let fm = FileManager.default
        try fm.createDirectory(atPath: checkout + "/ops/backup", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: checkout + "/ops/docker", withIntermediateDirectories: true)
        for name in ["restore-room.sh", "_common.sh"] {
            try fm.copyItem(atPath: wrapperDir + "/" + name, toPath: checkout + "/ops/backup/" + name)
        }
        // The start script records its arguments; the stub sentient-snap records its own.
        let started = dir.path + "/start-room.args"
        try writeExecutable("#!/bin/sh\nprintf '%s\\n' \"$@\" > '\(started)'\n", to: checkout + "/ops/docker/start-room.sh")
        let recorded = dir.path + "/snap.args"
        let stub = dir.path + "/sentient-snap"
        try writeExecutable("#!/bin/sh\nprintf '%s\\n' \"$@\" > '\(recorded)'\n", to: stub)
        func wrapper(_ script: String, _ extra: [String], environment: [String: String] = [:]) throws -> [String] {
            let result = try runProcess(script, ["pharaohs", "/backups/a.tar.gz", "--force"] + extra,
                                        environment: ["SENTIENT_SNAP": stub].merging(environment) { $1 }, timeout: 60)
            #expect(result.status == 0, "\(result)")
            return try String(contentsOfFile: recorded, encoding: .utf8).split(separator: "\n").map(String.init).filter { $0 != "--allow-root" }
        }

        let args = try wrapper(checkout + "/ops/backup/restore-room.sh", ["--no-wait"])
        #expect(args.count == 8, "\(args)")
        #expect(Array(args.prefix(4)) == ["restore", "pharaohs", "/backups/a.tar.gz", "--create-room"], "\(args)")
        #expect(args.count > 4 && args[4] == "--start-command")
        #expect(Array(args.suffix(2)) == ["--force", "--no-wait"], "\(args)")
        // The command, run as sentient-snap runs it, calls the checkout's start script as the old script did.
        let command = args.count > 5 ? args[5] : ""
        let run = try runProcess("/bin/sh", ["-c", command], environment: [
            "SENTIENT_ROOM": "pharaohs", "SENTIENT_API_PORT": "8081", "SENTIENT_MQTT_PORT": "1884", "SENTIENT_PG_PORT": "5433",
            "SENTIENT_ROOMS_DIR": "/srv/rooms",
        ], timeout: 60)
        #expect(run.status == 0, "\(run)")
        #expect(try String(contentsOfFile: started, encoding: .utf8) == "pharaohs\n8081\n1884\n5433\n")

        // The user's own start command, or none beside the wrapper: nothing added.
        #expect(try wrapper(checkout + "/ops/backup/restore-room.sh", ["--start-command", "mine"]) == ["restore", "pharaohs", "/backups/a.tar.gz", "--force", "--start-command", "mine"])
        #expect(try wrapper(checkout + "/ops/backup/restore-room.sh", [], environment: ["SENTIENT_START_COMMAND": "mine"]) == ["restore", "pharaohs", "/backups/a.tar.gz", "--force"])
        #expect(try wrapper(wrapperDir + "/restore-room.sh", []) == ["restore", "pharaohs", "/backups/a.tar.gz", "--force"])
    }

    @Test("systemd units: sections, keys, ExecStart paths; systemd-analyze verify when present")
    func systemdUnits() throws {
        let dir = packageRoot + "/ops/systemd"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files == ["sentient-backup@.service", "sentient-backup@.timer", "sentient-offsite-sync.service",
                          "sentient-offsite-sync.timer", "sentient-prune.service", "sentient-prune.timer"])
        var parsed: [String: [String: [String: String]]] = [:]
        for file in files {
            var sections: [String: [String: String]] = [:]
            var current = ""
            for raw in try String(contentsOfFile: dir + "/" + file, encoding: .utf8).split(separator: "\n") {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                if line.hasPrefix("[") { current = String(line.dropFirst().dropLast()); continue }
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                #expect(parts.count == 2 && !current.isEmpty, "\(file): bad line \(line)")
                sections[current, default: [:]][parts[0]] = parts.count == 2 ? parts[1] : ""
            }
            parsed[file] = sections
            if file.hasSuffix(".timer") {
                #expect(sections["Timer"]?["OnCalendar"] != nil, "\(file)")
                #expect(sections["Timer"]?["Persistent"] == "true", "\(file)")
                #expect(sections["Timer"]?["RandomizedDelaySec"] != nil, "\(file)")
                #expect(sections["Install"]?["WantedBy"] == "timers.target", "\(file)")
            } else {
                #expect(sections["Service"]?["Type"] == "oneshot", "\(file)")
                let exec = sections["Service"]?["ExecStart"] ?? ""
                #expect(exec.hasPrefix("/usr/local/bin/sentient-snap "), "\(file): \(exec)")
                #expect(!exec.contains("--allow-root"), "\(file) must run as the backup user")
                #expect(sections["Service"]?["User"] != nil && sections["Service"]?["User"] != "root", "\(file)")
            }
        }
        #expect(parsed["sentient-backup@.timer"]?["Timer"]?["OnCalendar"] == "*-*-* 02:00:00")
        #expect(parsed["sentient-backup@.service"]?["Service"]?["ExecStart"]?.contains(" backup %i ") == true)

        guard let analyze = try? resolveExecutable("systemd-analyze") else { return }
        let work = try TempDir(prefix: "snap-units")
        let binary = try productPath("sentient-snap")
        for file in files {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/sentient-snap", with: binary)
                .replacingOccurrences(of: "User=sentient-backup", with: "User=root")
                .replacingOccurrences(of: "Group=sentient-backup", with: "Group=root")
                .replacingOccurrences(of: "EnvironmentFile=/", with: "EnvironmentFile=-/")
            let name = file.replacingOccurrences(of: "@.", with: "@pharaohs.")
            try text.write(toFile: work.file(name), atomically: true, encoding: .utf8)
        }
        let units = try FileManager.default.contentsOfDirectory(atPath: work.path).sorted().map { work.file($0) }
        let verify = try runProcess(analyze, ["verify", "--man=no"] + units, timeout: 60)
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}

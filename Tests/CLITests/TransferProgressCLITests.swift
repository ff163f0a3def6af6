import Foundation
import TestHarness
import Testing

/// A source directory of archives of random bytes (`head -c` from /dev/urandom) with sha256sum
/// sidecars.
private struct TransferSource {
    let dir: TempDir
    var source: String { dir.path + "/source" }
    var target: String { dir.path + "/target" }
    let names: [String]

    init(mebibytes: [Int]) throws {
        dir = try TempDir(prefix: "snap-xfer")
        for sub in ["source", "target"] { try FileManager.default.createDirectory(atPath: dir.path + "/" + sub, withIntermediateDirectories: true) }
        names = mebibytes.indices.map { "sentient-pharaohs-2024010\($0 + 1)-020000.tar.gz" }
        for (name, size) in zip(names, mebibytes) {
            let made = try runProcess("/bin/sh", ["-c", "head -c \(size << 20) /dev/urandom > \(name) && sha256sum \(name) > \(name).sha256"], currentDirectory: source)
            guard made.succeeded else { throw HarnessError("cannot write \(name): \(made)") }
        }
    }
}

/// Every stderr line that is a JSON object, parsed.
private func progressObjects(_ stderr: String) throws -> [[String: Any]] {
    try stderr.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
    }
}

/// The terminal showed a bar whose percentage only grew, reached 100 % only at the end, was read
/// at several points, fitted `columns` and was cleared; it showed each of `phases`.
private func expectBar(_ output: String, phases: [String], columns: Int, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let drawn = Drawn(output)
    #expect(drawn.percents.count >= 5, "\(context): \(drawn.lines)", sourceLocation: sourceLocation)
    #expect(zip(drawn.percents, drawn.percents.dropFirst()).allSatisfy { $0 <= $1 }, "\(context): \(drawn.percents)", sourceLocation: sourceLocation)
    #expect(drawn.percents.last == 100, "\(context): \(drawn.percents)", sourceLocation: sourceLocation)
    #expect(drawn.percents.dropLast().allSatisfy { $0 < 100 }, "\(context): 100 % only at the end: \(drawn.percents)", sourceLocation: sourceLocation)
    #expect(Set(drawn.percents).count >= 3, "\(context): read at several points: \(drawn.percents)", sourceLocation: sourceLocation)
    #expect(drawn.clearedAtEnd, "\(context): \(output.suffix(400))", sourceLocation: sourceLocation)
    #expect(drawn.lines.allSatisfy { $0.count < columns }, "\(context): \(drawn.lines.filter { $0.count >= columns })", sourceLocation: sourceLocation)
    for phase in phases {
        #expect(drawn.lines.contains { $0.contains("] \(phase)") && $0.contains("ETA") }, "\(context): \(phase) in \(drawn.lines)", sourceLocation: sourceLocation)
    }
}

/// `--progress=json`: objects that parse, percent_done only growing to 1 (at the end only), the phases named.
private func expectJSON(_ stderr: String, phases: [String], _ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    let objects = try progressObjects(stderr)
    let percents = objects.compactMap { ($0["percent_done"] as? NSNumber)?.doubleValue }
    #expect(percents.count == objects.count && objects.count >= 3, "\(context): \(stderr)", sourceLocation: sourceLocation)
    #expect(zip(percents, percents.dropFirst()).allSatisfy { $0 <= $1 }, "\(context): \(percents)", sourceLocation: sourceLocation)
    #expect(percents.last == 1 && percents.dropLast().allSatisfy { $0 < 1 }, "\(context): \(percents)", sourceLocation: sourceLocation)
    #expect(objects.last?["message_type"] as? String == "summary", "\(context)", sourceLocation: sourceLocation)
    let seen = Set(objects.compactMap { $0["phase"] as? String })
    for phase in phases { #expect(seen.contains(phase), "\(context): \(phase) in \(seen)", sourceLocation: sourceLocation) }
    return objects
}

@Suite("progress of transfers: sync-offsite, S3, encryption", .serialized, .timeLimit(.minutes(20)))
struct TransferProgressCLITests {
    @Test("sync-offsite to a local directory on a terminal: one bar for the run's bytes and the current file; with --encrypt-to the encryption first")
    func syncLocal() throws {
        let fixture = try TransferSource(mebibytes: [4, 3, 5])
        let binary = try productPath("sentient-snap")
        // rsync reports a file's progress about once a second: a bandwidth limit makes several reports.
        let sync = try runInTerminal(binary, ["sync-offsite", fixture.source, fixture.target, "--bwlimit", "6000", "--allow-root"],
                                     environment: everyUpdate, answer: nil, columns: 140)
        #expect(sync.status == 0, "\(sync)")
        #expect(sync.stdout.contains("copied 6 file(s), deleted 0 on \(fixture.target); 3 archive(s) checked against their sidecars"), "\(sync.stdout)")
        expectBar(sync.stdout, phases: ["send"], columns: 140, "rsync")
        let drawn = Drawn(sync.stdout)
        #expect(drawn.lines.contains { $0.contains("send 2/6 \(fixture.names[0]).sha256") || $0.contains("send 3/6 \(fixture.names[1])") }, "\(drawn.lines)")
        #expect(drawn.lines.contains { $0.contains("/12.0 MiB") }, "the run's total: \(drawn.lines)")
        for name in fixture.names { #expect(FileManager.default.fileExists(atPath: fixture.target + "/" + name)) }

        let key = try AgeKey(in: fixture.dir)
        let encrypted = fixture.dir.path + "/encrypted"
        try FileManager.default.createDirectory(atPath: encrypted, withIntermediateDirectories: true)
        let age = try runInTerminal(binary, ["sync-offsite", fixture.source, encrypted, "--encrypt-to", key.recipient, "--bwlimit", "8000", "--allow-root"],
                                    environment: everyUpdate, answer: nil, columns: 100)
        #expect(age.status == 0, "\(age)")
        #expect(age.stdout.contains("encrypted \(fixture.names[2])"), "\(age.stdout)")
        expectBar(age.stdout, phases: ["encrypt", "send"], columns: 100, "--encrypt-to")
        let phases = Drawn(age.stdout).lines.compactMap { line in ["encrypt", "send"].first { line.contains("] \($0)") } }
        #expect(phases.first == "encrypt" && phases.last == "send" && phases == phases.sorted(), "encryption, then sending: \(phases)")
    }

    @Test("sync-offsite without a terminal: today's lines, no bar; --progress=json: objects to 1.0 with the run's bytes")
    func syncPlain() throws {
        let fixture = try TransferSource(mebibytes: [2, 1])
        let plain = try snap(["sync-offsite", fixture.source, fixture.target, "--allow-root"], environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(plain.status == 0, "\(plain)")
        #expect(plain.stdout.hasPrefix("  copied \(fixture.names[0])\n"), "\(plain.stdout)")
        #expect(!plain.stderr.contains("\u{1B}[K") && !plain.stderr.contains("ETA") && !plain.stderr.contains("%"), "\(plain.stderr)")
        let quietTarget = fixture.dir.path + "/quiet"
        try FileManager.default.createDirectory(atPath: quietTarget, withIntermediateDirectories: true)
        let quiet = try runInTerminal(try productPath("sentient-snap"), ["sync-offsite", fixture.source, quietTarget, "--quiet", "--allow-root"],
                                      environment: everyUpdate, answer: nil)
        #expect(quiet.status == 0 && !quiet.stdout.contains("\u{1B}[K") && !quiet.stdout.contains("ETA"), "\(quiet)")

        let other = fixture.dir.path + "/json"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let json = try snap(["sync-offsite", fixture.source, other, "--progress=json", "--json", "--allow-root"], environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(json.status == 0, "\(json)")
        #expect((s3JSON(json.stdout)["transferred"] as? [String])?.count == 4, "stdout keeps --json's result: \(json.stdout)")
        let objects = try expectJSON(json.stderr, phases: ["send"], "json")
        let total = Int64(3 << 20) + 2 * Int64(fixture.names[0].count + 67)
        #expect(objects.dropLast().last?["bytes_total"] as? NSNumber == NSNumber(value: total), "\(objects.suffix(2))")
    }

    @Test("sync-offsite to s3:// on a terminal: multipart parts and single PUTs count as they go; --progress=json ends at 1.0")
    func syncS3() throws {
        let server = try TestS3(.rclone)
        let fixture = try TransferSource(mebibytes: [12, 3])
        let env = server.snapEnvironment.merging(everyUpdate) { $1 }
        let sync = try runInTerminal(try productPath("sentient-snap"),
                                     ["sync-offsite", fixture.source, "s3://venue/offsite", "--part-size", "5", "--bwlimit", "8000", "--allow-root"],
                                     environment: env, answer: nil, columns: 110)
        #expect(sync.status == 0, "\(sync)")
        #expect(sync.stdout.contains("copied 4 file(s)"), "\(sync.stdout)")
        expectBar(sync.stdout, phases: ["send"], columns: 110, "s3")
        let drawn = Drawn(sync.stdout)
        // Within the 12 MiB multipart upload the bar moves, not only between parts.
        let big = drawn.lines.compactMap { line -> Int? in
            let words = line.split(separator: " ").map(String.init)
            guard let at = words.firstIndex(of: fixture.names[0]), words[at - 1] == "1/4", at + 1 < words.count else { return nil }
            return Int(words[at + 1].dropLast())
        }
        #expect(Set(big).count >= 6, "beyond its 3 part ends, the big file's own percentages: \(big)")
        try #expect(server.objects("venue/offsite").count == 4)

        let json = try snap(["sync-offsite", fixture.source, "s3://venue/json", "--part-size", "5", "--progress=json", "--allow-root"],
                            environment: env.merging(["SENTIENT_PROGRESS_INTERVAL": "0"]) { $1 })
        #expect(json.status == 0, "\(json)")
        _ = try expectJSON(json.stderr, phases: ["send"], "s3 json")
        #expect(json.stdout.contains("copied 4 file(s)"), "\(json.stdout)")
    }

    @Test("restore and verify from s3://: the download has its own phase before the check; the bar grows to 100 % and is cleared")
    func restoreS3() throws {
        let server = try TestS3(.rclone)
        let fixture = try ProgressRoom()
        let binary = try productPath("sentient-snap")
        let backup = try snap(fixture.backupArgs())
        #expect(backup.status == 0, "\(backup)")
        let name = (try fixture.archive() as NSString).lastPathComponent
        let env = server.snapEnvironment.merging(everyUpdate) { $1 }
        let upload = try snap(["sync-offsite", fixture.room.output, "s3://venue/rooms", "--allow-root"], environment: env)
        #expect(upload.status == 0, "\(upload)")
        let archive = "s3://venue/rooms/\(name)"

        let restore = try runInTerminal(binary, fixture.restoreArgs(archive), environment: env, answer: nil, columns: 90)
        #expect(restore.status == 0, "\(restore)")
        #expect(restore.stdout.contains("Restored room pharaohs from \(archive)"), "\(restore)")
        // The one-pass restore checks the archive as it loads it: download, then load.
        expectBar(restore.stdout, phases: ["download", "load"], columns: 90, "restore")
        let phases = Drawn(restore.stdout).lines.compactMap { line in ["download", "load"].first { line.contains("] \($0)") } }
        #expect(phases.first == "download" && (phases.firstIndex(of: "load") ?? -1) > (phases.lastIndex(of: "download") ?? .max), "\(phases)")

        let json = try snap(fixture.restoreArgs(archive, ["--progress=json"]), environment: env)
        #expect(json.status == 0, "\(json)")
        _ = try expectJSON(json.stderr, phases: ["download", "load", "swap"], "restore json")
        let twoPass = try snap(fixture.restoreArgs(archive, ["--progress=json", "--verify-first"]), environment: env)
        #expect(twoPass.status == 0, "\(twoPass)")
        _ = try expectJSON(twoPass.stderr, phases: ["download", "verify", "load", "swap"], "restore --verify-first json")

        let verify = try snap(["verify", archive, "--progress=json"], environment: env)
        #expect(verify.status == 0, "\(verify)")
        let objects = try expectJSON(verify.stderr, phases: ["download", "verify"], "verify json")
        let download = objects.last { $0["phase"] as? String == "download" }
        #expect((download?["percent_done"] as? NSNumber).map { $0.doubleValue > 0.5 && $0.doubleValue < 0.6 } == true, "the download's share: \(objects)")

        let dump = fixture.room.dir.path + "/pharaohs.dump"
        let export = try snap(["export", archive, "--dump", dump, "--progress=json"], environment: env)
        #expect(export.status == 0 && FileManager.default.fileExists(atPath: dump), "\(export)")
        _ = try expectJSON(export.stderr, phases: ["download"], "export json")

        // No terminal: no bar, as before.
        let plain = try snap(["verify", archive], environment: env)
        #expect(plain.status == 0 && !plain.stderr.contains("ETA") && !plain.stderr.contains("\u{1B}[K"), "\(plain)")
    }

    @Test("backup --encrypt-to on a terminal: the encryption is the backup's last step, the bar below 100 % while it runs")
    func encryptedBackup() throws {
        let fixture = try ProgressRoom()
        let key = try AgeKey(in: fixture.room.dir)
        let backup = try runInTerminal(try productPath("sentient-snap"), fixture.backupArgs(["--encrypt-to", key.recipient]),
                                       environment: everyUpdate, answer: nil, columns: 120)
        #expect(backup.status == 0, "\(backup)")
        expectBar(backup.stdout, phases: ["dump", "encrypt"], columns: 120, "backup --encrypt-to")
        let drawn = Drawn(backup.stdout)
        let encrypting = zip(drawn.lines, drawn.percents).filter { $0.0.contains("] encrypt") }.map(\.1)
        #expect(encrypting.first.map { $0 < 100 } == true, "\(drawn.lines.suffix(5))")
        let json = try snap(fixture.backupArgs(["--encrypt-to", key.recipient, "--progress=json"]), environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(json.status == 0, "\(json)")
        let objects = try expectJSON(json.stderr, phases: ["dump", "encrypt"], "backup json")
        let encryptObjects = objects.filter { $0["phase"] as? String == "encrypt" }
        #expect(encryptObjects.contains { ($0["step_percent_done"] as? NSNumber)?.doubleValue ?? 0 > 0 && ($0["bytes_total"] as? NSNumber)?.int64Value ?? 0 > 0 },
                "\(encryptObjects)")
    }

    @Test("backup-all on a terminal: one bar, the rooms done of all and the current room's percentage; --parallel: rooms counted; JSON")
    func backupAll() throws {
        let fixture = try ProgressRoom()
        let room = fixture.room
        let db = room.database.settings
        let common = "SENTIENT_HOST=\(db.host!)\nSENTIENT_PG_USER=\(db.user!)\nSENTIENT_PG_DATABASE=\(room.database.name)\nSENTIENT_ROOMS_DIR=\(room.rooms)\n"
        for name in ["pharaohs", "sphinx"] {
            if name != "pharaohs" { try FileManager.default.copyItem(atPath: room.rooms + "/pharaohs", toPath: room.rooms + "/" + name) }
            try room.writeEnv(common + "SENTIENT_PG_PORT=\(db.port!)\n", room: name)
        }
        try room.writeEnv(common + "SENTIENT_PG_PORT=\(try freeLoopbackPort())\n", room: "broken")
        let binary = try productPath("sentient-snap")
        let all = try runInTerminal(binary, ["backup-all", room.output, "--env-dir", room.env, "--allow-root"], environment: everyUpdate, answer: nil, columns: 100)
        #expect(all.status == 1, "broken fails, the others are backed up: \(all)")
        #expect(all.stdout.contains("2 of 3 room(s) backed up"), "\(all.stdout)")
        expectBar(all.stdout, phases: ["backup"], columns: 100, "backup-all")
        let lines = Drawn(all.stdout).lines
        #expect(lines.contains { $0.contains("] backup 2/3 pharaohs ") && $0.contains("| 1/3 |") }, "\(lines)")
        #expect(lines.contains { $0.contains("] backup 3/3 sphinx ") && $0.contains("| 2/3 |") }, "\(lines)")
        // Errors and warnings start on a line of their own (the bar cleared first), never after the bar.
        let messages = all.stdout.components(separatedBy: "sentient-snap: ")
        #expect(messages.count >= 3, "the error for broken and the identity warning for sphinx: \(all.stdout)")
        #expect(messages.dropLast().allSatisfy { $0.isEmpty || $0.hasSuffix("\n") || $0.hasSuffix("\r\u{1B}[K") }, "\(messages.map { $0.suffix(60) })")

        let second = room.dir.file("second")
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        let parallel = try snap(["backup-all", second, "--env-dir", room.env, "--parallel", "2", "--allow-root", "--progress=json"],
                                environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(parallel.status == 1, "\(parallel)")
        let objects = try expectJSON(parallel.stderr, phases: ["backup"], "backup-all --parallel 2")
        #expect(objects.allSatisfy { $0["step"] == nil && ($0["items_total"] as? NSNumber) == 3 }, "\(objects.suffix(3))")

        try FileManager.default.createDirectory(atPath: room.dir.file("third"), withIntermediateDirectories: true)
        let plain = try snap(["backup-all", room.dir.file("third"), "--env-dir", room.env, "--allow-root"])
        #expect(plain.status == 1 && plain.stdout.contains("2 of 3 room(s) backed up"), "\(plain)")
        #expect(!plain.stderr.contains("ETA") && !plain.stderr.contains("\u{1B}[K"), "\(plain.stderr)")
    }
}

import Foundation
import TestHarness
import Testing

/// `list`, `verify`, `restore`, `export` and `prune` on s3:// locations, against `rclone serve s3`.
@Suite("s3:// locations", .serialized, .timeLimit(.minutes(20)))
struct S3LocationTests {
    @Test("a real backup synced to S3: list reads its head, verify passes, restore from s3:// brings the room back, export writes the dump; a damaged object is 65, a missing one 66")
    func restoreFromS3() throws {
        let server = try TestS3()
        let fixture = try RestoreCLIRoom()
        let env = server.snapEnvironment
        let name = (fixture.archive as NSString).lastPathComponent
        let synced = try snap(["sync-offsite", fixture.room.output, "s3://venue/rooms", "--allow-root"], environment: env)
        #expect(synced.status == 0, "\(synced)")
        #expect(try server.read("venue/rooms/" + name) == Data(contentsOf: URL(fileURLWithPath: fixture.archive)))

        let listed = try snap(["list", "s3://venue/rooms", "--json"], environment: env)
        #expect(listed.status == 0, "\(listed)")
        let rows = ((try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8))) as? [[String: Any]]) ?? []
        #expect(rows.count == 1 && rows.first?["rows"] as? Int == 10 && rows.first?["sidecar"] as? String == "present", "\(listed.stdout)")
        #expect((rows.first?["bytes_read"] as? Int ?? 0) > 0)

        // status reads the newest archive's head and looks for its sidecar; it downloads nothing.
        let status = try snap(["status", "s3://venue/rooms", "--json"], environment: env)
        #expect(status.status == 0, "\(status)")
        let rooms = ((try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8))) as? [[String: Any]]) ?? []
        #expect(rooms.count == 1 && rooms.first?["ok"] as? Bool == true && rooms.first?["sidecar"] as? String == "present", "\(status.stdout)")
        // The name's timestamp is by the second and the backup is under a second old: any age is over 0s.
        let stale = try snap(["status", "s3://venue/rooms", "--max-age", "0s"], environment: env)
        #expect(stale.status == 75, "\(stale)")

        let work = fixture.room.dir.path + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let verified = try snap(["verify", "s3://venue/rooms/" + name, "--work-dir", work], environment: env)
        #expect(verified.status == 0, "\(verified)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "the download was left in the work dir")

        let dump = fixture.room.dir.path + "/export.dump"
        let exported = try snap(["export", "s3://venue/rooms/" + name, "--dump", dump, "--work-dir", work], environment: env)
        #expect(exported.status == 0, "\(exported)")
        #expect(((try? FileManager.default.attributesOfItem(atPath: dump)[.size] as? Int) ?? 0) > 0)

        #expect(try fixture.events() == "15")
        let restored = try snap(["restore", "pharaohs", "s3://venue/rooms/" + name, "--force", "--allow-root", "--room-control", "none", "--no-wait",
                                 "--work-dir", work, "--json"] + fixture.room.flags(), environment: env)
        #expect(restored.status == 0, "\(restored)")
        #expect(s3JSON(restored.stdout)["archive"] as? String == "s3://venue/rooms/" + name, "\(restored.stdout)")
        #expect(try fixture.events() == "10", "the restore from s3:// did not bring back the backup's rows")
        #expect(!FileManager.default.fileExists(atPath: fixture.marker), "the config directory was not restored")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "the download was left in the work dir")

        let missing = try snap(["verify", "s3://venue/rooms/sentient-pharaohs-20200101-000000.tar.gz"], environment: env)
        #expect(missing.status == 66, "\(missing)")

        // One flipped byte in the stored object: the download no longer matches its sidecar.
        let stored = server.root + "/venue/rooms/" + name
        var bytes = try Data(contentsOf: URL(fileURLWithPath: stored))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: stored))
        let damaged = try snap(["verify", "s3://venue/rooms/" + name, "--work-dir", work], environment: env)
        #expect(damaged.status == 65, "\(damaged)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "a damaged download was left in the work dir")
    }

    @Test("prune s3:// leaves exactly the set the same policy keeps locally, sidecars with their archives")
    func prune() throws {
        let server = try TestS3()
        let dir = try TempDir(prefix: "snap-s3prune")
        let source = dir.path + "/source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        var names: [String] = []
        for day in 1...12 {
            for room in ["pharaohs", "clockwork"] where day % 3 != 0 || room == "pharaohs" {
                let name = String(format: "sentient-%@-202401%02d-020000.tar.gz", room, day)
                try S3SyncFixture.write(source + "/" + name, size: 512, seed: day)
                names.append(name)
            }
        }
        let env = server.snapEnvironment
        let synced = try snap(["sync-offsite", source, "s3://venue/p", "--allow-root"], environment: env)
        #expect(synced.status == 0, "\(synced)")
        let policy = ["--keep-last", "2", "--keep-weekly", "2"]

        let local = try snap(["prune", source, "--dry-run", "--json", "--allow-root"] + policy)
        #expect(local.status == 0, "\(local)")
        let localResult = s3JSON(local.stdout)
        let keep = Set(((localResult["rooms"] as? [[String: Any]]) ?? []).flatMap { ($0["kept"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String } })
        #expect(keep.count > 2 && keep.count < names.count, "\(local.stdout)")

        let dry = try snap(["prune", "s3://venue/p", "--dry-run", "--allow-root"] + policy, environment: env)
        #expect(dry.status == 0, "\(dry)")
        #expect(try server.objects("venue/p").count == names.count * 2, "a dry run deleted something")

        let pruned = try snap(["prune", "s3://venue/p", "--allow-root", "--json"] + policy, environment: env)
        #expect(pruned.status == 0, "\(pruned)")
        #expect(try server.objects("venue/p") == keep.flatMap { [$0, $0 + ".sha256"] }.sorted())
    }
}

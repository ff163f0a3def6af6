import Foundation
import SentientSnap
import TestHarness
import Testing

/// `yyyyMMdd_HHmmss` in local time, as restore stamps its pre-restore names.
private func restoreStamp(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyyMMdd_HHmmss"
    return formatter.string(from: date)
}

@Suite("restore: the config directory", .timeLimit(.minutes(30)))
struct ConfigSwapTests {
    @Test("the config is extracted and checked before the staging restore and the database swap")
    func configBeforeSwap() throws {
        let source = try RoomFixture(events: 200, prefix: "cs_order_src")
        let archive = try backup(source)
        let live = try RoomFixture(events: 10, prefix: "cs_order")
        let request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: live.roomsDir)
        let log = StepLog()
        _ = try RestoreJob(request, events: log.record, confirm: { _, _ in true }).run()
        let steps = log.steps
        let extract = try #require(steps.firstIndex { $0.hasPrefix("extracting the config") }, "\(steps)")
        let staging = try #require(steps.firstIndex { $0.hasPrefix("restoring into staging") }, "\(steps)")
        let swap = try #require(steps.firstIndex { $0.hasPrefix("swapping") }, "\(steps)")
        let replace = try #require(steps.firstIndex { $0.hasPrefix("replacing") }, "\(steps)")
        #expect(extract < staging && staging < swap && swap < replace, "\(steps)")
        #expect(try treeContents(live.roomsDir + "/pharaohs") == treeContents(source.roomsDir + "/pharaohs"))
        let left = try FileManager.default.contentsOfDirectory(atPath: live.roomsDir).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "no temp dir is left: \(left)")
    }

    @Test("an extracted tree that differs from what was verified is refused before any swap")
    func extractedTreeMismatch() throws {
        let source = try RoomFixture(events: 50, prefix: "cs_diff_src")
        let first = try backup(source)
        // The same archive with another room.yaml, its manifest updated to match: valid on its own.
        let second = source.dir.path + "/other.tar.gz"
        let script = """
            import hashlib, io, json, sys, tarfile
            src, dst = sys.argv[1:3]
            new = b"room:\\n  revision: other\\n"
            with tarfile.open(src, "r:gz") as t:
                members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
            with tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as o:
                for m, d in members:
                    if m.name.endswith("/config/room.yaml"):
                        d = new; m.size = len(d)
                    if m.name.endswith("/manifest.json"):
                        j = json.loads(d)
                        for f in j["files"]:
                            if f["path"] == "config/room.yaml": f["size"] = len(new); f["sha256"] = hashlib.sha256(new).hexdigest()
                        d = json.dumps(j).encode(); m.size = len(d)
                    o.addfile(m, io.BytesIO(d) if d is not None else None)
            """
        let built = try runProcess("python3", ["-c", script, first, second])
        try #require(built.succeeded, "\(built)")
        #expect(throws: Never.self) { _ = try ArchiveInspector.inspect(second) }
        let archive = source.dir.path + "/swapped.tar.gz"
        try FileManager.default.copyItem(atPath: first, toPath: archive)
        let live = try RoomFixture(events: 33, prefix: "cs_diff")
        let before = try tableChecksums(live.database)
        let configBefore = try treeContents(live.roomsDir + "/pharaohs")
        let request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: live.roomsDir)
        // The file changes between the verification and the extraction (another copy, a race).
        let error = #expect(throws: SnapError.self) {
            _ = try RestoreJob(request, confirm: { _, _ in
                try FileManager.default.removeItem(atPath: archive)
                try FileManager.default.copyItem(atPath: second, toPath: archive)
                return true
            }).run()
        }
        #expect(error?.code == .damagedArchive, "\(String(describing: error))")
        #expect(error?.message.contains("config/room.yaml") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("nothing was changed") == true, "\(String(describing: error))")
        #expect(try tableChecksums(live.database) == before)
        #expect(try treeContents(live.roomsDir + "/pharaohs") == configBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: live.roomsDir) == ["pharaohs"], "no temp or pre-restore dir")
        #expect(try databases(like: live.database.name + "_").isEmpty, "no staging or pre-restore database")
    }

    @Test("a pre-restore config dir dated in the future is never deleted nor counted among the newest")
    func futurePreRestoreKept() throws {
        let source = try RoomFixture(events: 20, prefix: "cs_future_src")
        let archive = try backup(source)
        let live = try RoomFixture(events: 5, prefix: "cs_future")
        let now = Date()
        let future = "pharaohs.pre-restore.\(restoreStamp(now.addingTimeInterval(3 * 86_400)))"
        let past = [1, 2, 3].map { "pharaohs.pre-restore.\(restoreStamp(now.addingTimeInterval(Double(-3600 * $0))))" }
        for name in [future] + past {
            try FileManager.default.createDirectory(atPath: live.roomsDir + "/" + name, withIntermediateDirectories: true)
        }
        var request = try restoreRequest(archive, into: live.database, room: "pharaohs", roomsDir: live.roomsDir)
        request.now = now
        let result = try RestoreJob(request, confirm: { _, _ in true }).run()
        let kept = Set(try FileManager.default.contentsOfDirectory(atPath: live.roomsDir))
        let current = "pharaohs.pre-restore.\(restoreStamp(now))"
        #expect(kept == Set(["pharaohs", current, future, past[0], past[1]]), "\(kept.sorted())")
        #expect(result.warnings.contains { $0.contains(future) && $0.contains("future") }, "\(result.warnings)")
    }

    @Test("config links are recorded in the manifest and come back as they were, with modes and times")
    func linksRoundTrip() throws {
        let source = try RoomFixture(events: 5, prefix: "cs_links_src")
        let config = source.roomsDir + "/pharaohs"
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: config + "/current", withDestinationPath: "graphs")
        try fm.createSymbolicLink(atPath: config + "/graphs/latest.json", withDestinationPath: "scene-graph.v1.json")
        try fm.setAttributes([.posixPermissions: 0o400, .modificationDate: Date(timeIntervalSince1970: 1_600_000_000)], ofItemAtPath: config + "/room.yaml")
        try fm.setAttributes([.posixPermissions: 0o750], ofItemAtPath: config + "/graphs")
        let archive = try backup(source)
        let inspection = try ArchiveInspector.inspect(archive)
        #expect(inspection.manifest?.links?.sorted { $0.path < $1.path }.map { "\($0.path) -> \($0.target)" }
            == ["config/current -> graphs", "config/graphs/latest.json -> scene-graph.v1.json"])
        let target = try TestPostgres.shared().createDatabase(prefix: "cs_links")
        let rooms = source.dir.path + "/rooms-b"
        _ = try RestoreJob(try restoreRequest(archive, into: target, room: "pharaohs", roomsDir: rooms), confirm: { _, _ in true }).run()
        let restored = rooms + "/pharaohs"
        #expect(try fm.destinationOfSymbolicLink(atPath: restored + "/current") == "graphs")
        #expect(try fm.destinationOfSymbolicLink(atPath: restored + "/graphs/latest.json") == "scene-graph.v1.json")
        #expect(try fm.attributesOfItem(atPath: restored + "/room.yaml")[.posixPermissions] as? Int == 0o400)
        #expect((try fm.attributesOfItem(atPath: restored + "/room.yaml")[.modificationDate] as? Date)?.timeIntervalSince1970 == 1_600_000_000)
        #expect(try fm.attributesOfItem(atPath: restored + "/graphs")[.posixPermissions] as? Int == 0o750)
        #expect(fm.contents(atPath: restored + "/room.yaml") == fm.contents(atPath: config + "/room.yaml"))
    }
}

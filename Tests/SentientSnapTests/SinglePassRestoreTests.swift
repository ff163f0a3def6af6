import Foundation
import SentientSnap
import TestHarness
import Testing

/// Rebuilds a good archive (Python's tarfile) with one kind of damage each; prints the names.
private let buildDamaged = #"""
import io, json, os, sys, tarfile
src, out = sys.argv[1:3]
with tarfile.open(src, "r:gz") as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
top = members[0][0].name.split("/")[0]

def write(name, change=lambda m, d: (m, d), extra=()):
    with tarfile.open(os.path.join(out, name + ".tar.gz"), "w:gz", format=tarfile.PAX_FORMAT) as o:
        for m, d in members:
            m, d = change(m, d)
            if d is not None: m.size = len(d); m.pax_headers.pop("size", None)
            o.addfile(m, io.BytesIO(d) if d is not None else None)
        for m, d in extra: o.addfile(m, io.BytesIO(d))
    print(name)

def config_hash(m, d):
    return (m, b"room:\n  revision: tampered\n") if m.name.endswith("/config/room.yaml") else (m, d)

def row_count(m, d):
    if m.name.endswith("/manifest.json"):
        j = json.loads(d)
        for table in j["database"]["tables"]:
            if table["name"] == "events": table["rows"] += 1
        d = json.dumps(j).encode()
    return m, d

def truncated(m, d):
    return (m, d[: len(d) // 2]) if m.name.endswith("/db/database.dump") else (m, d)

evil = tarfile.TarInfo(top + "/config/../../escaped"); evil.size = 4; evil.mode = 0o644
write("config-hash", config_hash)
write("row-count", row_count)
write("truncated-dump", truncated)
write("evil-entry", extra=[(evil, b"evil")])
"""#

/// A live room to restore over, and what it held before.
private struct LiveRoom {
    let fixture: RoomFixture
    let before: String
    let configBefore: [String: Data]

    init(prefix: String) throws {
        fixture = try RoomFixture(events: 77, prefix: prefix)
        before = try tableChecksums(fixture.database)
        configBefore = try treeContents(fixture.roomsDir + "/pharaohs")
    }

    /// Restores `archive` over the room; returns the error and the steps the restore reported.
    func restore(_ archive: String, verifyFirst: Bool = false) throws -> (SnapError?, [String]) {
        var request = try restoreRequest(archive, into: fixture.database, room: "pharaohs", roomsDir: fixture.roomsDir)
        request.verifyFirst = verifyFirst
        let log = StepLog()
        let error = #expect(throws: SnapError.self) { _ = try RestoreJob(request, events: log.record, confirm: { _, _ in true }).run() }
        return (error, log.steps)
    }

    func expectUnchanged(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try tableChecksums(fixture.database) == before, "\(context): the live database changed", sourceLocation: sourceLocation)
        #expect(try treeContents(fixture.roomsDir + "/pharaohs") == configBefore, "\(context): the config changed", sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.roomsDir) == ["pharaohs"], "\(context): a temp or pre-restore dir was left", sourceLocation: sourceLocation)
        #expect(try databases(like: fixture.database.name + "_").isEmpty, "\(context): a staging or pre-restore database was left", sourceLocation: sourceLocation)
    }
}

/// A copy of `archive` in `dir` with one bit flipped at 97 % of its length.
func damagedAt97(_ archive: String, in dir: String) throws -> String {
    var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
    bytes[bytes.count * 97 / 100] ^= 0x20
    let damaged = dir + "/damaged-97.tar.gz"
    try bytes.write(to: URL(fileURLWithPath: damaged))
    return damaged
}

@Suite("restore: one pass verifies and loads", .timeLimit(.minutes(30)))
struct SinglePassRestoreTests {
    @Test("an archive damaged at 97 % of its length: the load had begun, refused as damaged (65), staging dropped, live room unchanged")
    func damagedNearTheEnd() throws {
        let source = try RoomFixture(events: 30_000, prefix: "sp_97_src")
        let damaged = try damagedAt97(backup(source), in: source.dir.path)
        let live = try LiveRoom(prefix: "sp_97")
        let (error, steps) = try live.restore(damaged)
        #expect(error?.code == .damagedArchive, "\(String(describing: error))")
        #expect(error?.message.contains("nothing was changed") == true, "\(String(describing: error))")
        #expect(steps.contains { $0.hasPrefix("restoring into staging") }, "one pass: the staging load starts before the archive is read to its end: \(steps)")
        try live.expectUnchanged("97 %")
    }

    @Test("--verify-first: the same damage is refused before the staging database is made")
    func verifyFirstOrder() throws {
        let source = try RoomFixture(events: 5_000, prefix: "sp_vf_src")
        let damaged = try damagedAt97(backup(source), in: source.dir.path)
        let live = try LiveRoom(prefix: "sp_vf")
        let (error, steps) = try live.restore(damaged, verifyFirst: true)
        #expect(error?.code == .damagedArchive, "\(String(describing: error))")
        #expect(!steps.contains { $0.hasPrefix("restoring into staging") }, "\(steps)")
        try live.expectUnchanged("--verify-first")
    }

    @Test("each kind of damage verify catches is refused by the one pass (65), nothing changed: a config file's hash, a row count, a truncated dump, a malicious entry after the dump")
    func damageKinds() throws {
        let source = try RoomFixture(events: 3_000, prefix: "sp_kinds_src")
        let good = try backup(source)
        let out = source.dir.path + "/damaged"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let built = try runProcess("python3", ["-c", buildDamaged, good, out], timeout: 120)
        try #require(built.succeeded, "\(built)")
        let names = built.stdout.split(separator: "\n").map(String.init)
        #expect(names == ["config-hash", "row-count", "truncated-dump", "evil-entry"])
        let live = try LiveRoom(prefix: "sp_kinds")
        for name in names {
            #expect(throws: SnapError.self, "verify refuses \(name)") { _ = try ArchiveInspector.inspect(out + "/" + name + ".tar.gz") }
            let (error, steps) = try live.restore(out + "/" + name + ".tar.gz")
            #expect(error?.code == .damagedArchive, "\(name): \(String(describing: error))")
            #expect(error?.message.contains("nothing was changed") == true, "\(name): \(String(describing: error))")
            if name != "config-hash" {
                // Found only once the load has run: the staging database existed and was dropped.
                #expect(steps.contains { $0.hasPrefix("restoring into staging") }, "\(name): \(steps)")
            }
            try live.expectUnchanged(name)
        }
        #expect(!FileManager.default.fileExists(atPath: source.dir.path + "/escaped"))
        #expect(!FileManager.default.fileExists(atPath: live.fixture.dir.path + "/escaped"))
    }
}

import Foundation
import PGWire
import TestHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Builds hostile archives from a good one with Python's tarfile/gzip; prints one name per line.
private let buildHostile = #"""
import gzip, io, json, os, sys, tarfile, zlib
good, out, escape = sys.argv[1], sys.argv[2], sys.argv[3]
with tarfile.open(good, "r:gz") as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
top = members[0][0].name.split("/")[0]
manifest = json.loads([d for m, d in members if m.name.endswith("/manifest.json")][0])

def write(name, extra=(), manifest_override=None, drop_manifest_keys=()):
    path = os.path.join(out, name + ".tar.gz")
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as t:
        for m, d in members:
            if m.name.endswith("/manifest.json") and (manifest_override is not None or drop_manifest_keys):
                obj = dict(manifest if manifest_override is None else manifest_override)
                for k in drop_manifest_keys: obj.pop(k, None)
                d = json.dumps(obj).encode()
                m = tarfile.TarInfo(m.name); m.size = len(d); m.mode = 0o600
            t.addfile(m, io.BytesIO(d) if d is not None else None)
        for info, data in extra:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    print(name)

def entry(name, kind=tarfile.REGTYPE, size=0, link=""):
    i = tarfile.TarInfo(name); i.type = kind; i.size = size; i.linkname = link; i.mode = 0o644
    return i

write("dotdot", [(entry(top + "/config/../../" + os.path.basename(escape), size=4), b"evil")])
write("absolute", [(entry(escape, size=4), b"evil")])
write("symlink-out", [(entry(top + "/config/out", tarfile.SYMTYPE, link="../../../../../../" + escape), None)])
write("symlink-abs", [(entry(top + "/config/abs", tarfile.SYMTYPE, link=escape), None)])
write("hardlink", [(entry(top + "/config/hard", tarfile.LNKTYPE, link=escape), None)])
write("device", [(entry(top + "/config/dev", tarfile.CHRTYPE), None)])
write("fifo", [(entry(top + "/config/fifo", tarfile.FIFOTYPE), None)])
write("missing-fields", drop_manifest_keys=("room_name", "contents"))
bad = dict(manifest); bad["files"] = "not a list"; bad["timestamp"] = 12
write("wrong-types", manifest_override=bad)

# 10 GB declared, a few hundred bytes present.
def header(info):
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
raw = header(entry(top + "/db/huge.bin", size=10 * 1024**3)) + b"x" * 600
with open(os.path.join(out, "declared-10g.tar.gz"), "wb") as f:
    f.write(gzip.compress(raw[:1024]))
print("declared-10g")

# A gzip bomb: a config file that inflates to 1.1 GiB from ~1 MB.
size = 1100 * 1024**2
m, d = [(m, d) for m, d in members if m.name.endswith("/manifest.json")][0]
head = header(m) + d + bytes(-len(d) % 512) + header(entry(top + "/config/bomb.bin", size=size))
c = zlib.compressobj(9, zlib.DEFLATED, 31)
body = [c.compress(head)]
zero = bytes(1 << 20)
for _ in range(1100): body.append(c.compress(zero))
body.append(c.compress(bytes(1024)))
body.append(c.flush())
with open(os.path.join(out, "gzip-bomb.tar.gz"), "wb") as f:
    for b in body: f.write(b)
print("gzip-bomb")
"""#

/// Every path below `root` (recursively), for "nothing written" checks.
private func listing(_ root: String) -> [String] {
    (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted()
}

@Suite("hostile input, command line", .timeLimit(.minutes(30)))
struct HostileInputCLITests {
    @Test("hostile archives: verify and restore exit 65, nothing written anywhere")
    func hostileArchives() throws {
        let room = try CLIRoom()
        let backup = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt", "--json"] + room.flags())
        #expect(backup.status == 0, "\(backup)")
        let good = try FileManager.default.contentsOfDirectory(atPath: room.output).first { $0.hasSuffix(".tar.gz") }!
        let hostile = room.dir.path + "/hostile"
        try FileManager.default.createDirectory(atPath: hostile, withIntermediateDirectories: true)
        let escape = room.dir.path + "/escaped-file"
        let built = try runProcess("python3", ["-c", buildHostile, room.output + "/" + good, hostile, escape], timeout: 120)
        try #require(built.succeeded, "\(built)")
        let names = built.stdout.split(separator: "\n").map(String.init)
        #expect(names.count == 11)
        let before = listing(room.dir.path)
        let eventsBefore = try room.database.psql("SELECT count(*) FROM events")
        for name in names {
            let archive = hostile + "/" + name + ".tar.gz"
            let started = Date()
            let verify = try snap(["verify", archive])
            #expect(verify.status == 65, "verify \(name): \(verify)")
            #expect(verify.stderr.contains(archive), "verify \(name) names the archive: \(verify.stderr)")
            let restore = try snap(["restore", "pharaohs", archive, "--allow-root", "--force", "--room-control", "none", "--no-wait", "--no-mqtt"] + room.flags())
            #expect(restore.status == 65, "restore \(name): \(restore)")
            #expect(Date().timeIntervalSince(started) < 20, "\(name) took too long (inflated a bomb?)")
            for output in [verify.stderr, restore.stderr] { #expect(!output.contains("Fatal error"), "\(name): \(output)") }
        }
        #expect(!FileManager.default.fileExists(atPath: escape), "an entry escaped to \(escape)")
        #expect(listing(room.dir.path) == before, "restore wrote files")
        #expect(try room.database.psql("SELECT count(*) FROM events") == eventsBefore)
        let staging = try room.database.server.admin {
            try $0.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [room.database.name + "_"]).count
        }
        #expect(staging == 0)
    }

    @Test("manifests with extra fields and a room name full of shell metacharacters: read, never executed")
    func manifestOddities() throws {
        let room = try CLIRoom()
        let backup = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt"] + room.flags())
        #expect(backup.status == 0, "\(backup)")
        let good = try FileManager.default.contentsOfDirectory(atPath: room.output).first { $0.hasSuffix(".tar.gz") }!
        let marker = room.dir.path + "/pwned"
        let script = """
            import io, json, sys, tarfile
            src, dst, marker = sys.argv[1:4]
            with tarfile.open(src, "r:gz") as t, tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as o:
                for m in t.getmembers():
                    d = t.extractfile(m).read() if m.isfile() else None
                    if m.name.endswith("/manifest.json"):
                        j = json.loads(d); j["future_field"] = {"x": [1, 2]}; j["room_name"] = "$(touch " + marker + ");`touch " + marker + "`|x&"
                        d = json.dumps(j).encode(); m.size = len(d)
                    o.addfile(m, io.BytesIO(d) if d is not None else None)
            """
        let odd = room.dir.path + "/odd.tar.gz"
        let built = try runProcess("python3", ["-c", script, room.output + "/" + good, odd, marker])
        try #require(built.succeeded, "\(built)")
        let verify = try snap(["verify", odd])
        #expect(verify.status == 0, "extra fields are allowed: \(verify)")
        let restore = try snap(["restore", "pharaohs", odd, "--allow-root", "--force", "--room-control", "none", "--no-wait", "--no-mqtt", "--dry-run"] + room.flags())
        #expect(restore.status == 0, "\(restore)")
        #expect(restore.stderr.contains("belongs to room"), "\(restore.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "shell code in the manifest ran")
    }

    @Test("env files: bad ports 0, 70000 and text are usage errors naming the file")
    func envPorts() throws {
        let room = try CLIRoom()
        let flags = room.flags().filter { $0 != "--pg-port" && Int($0) == nil }
        for value in ["0", "70000", "5432; rm -rf /"] {
            try room.writeEnv("SENTIENT_PG_PORT=\(value)\n")
            let result = try snap(["backup", "pharaohs", room.output, "--allow-root"] + flags)
            #expect(result.status == 64, "\(value): \(result)")
            #expect(result.stderr.contains("SENTIENT_PG_PORT in \(room.env)/pharaohs.env"), "\(result.stderr)")
        }
        #expect(try room.outputIsEmpty())
    }

    @Test("SIGINT / SIGTERM during the staging restore (before the swap): exactly 130 / 143 and one message, live room as before, staging dropped",
          arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func restoreTerminated(_ signal: Int32, _ status: Int32) throws {
        let room = try CLIRoom(bulk: "hi_sig\(signal)")
        let backup = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt", "--compress-level", "1"] + room.flags())
        #expect(backup.status == 0, "\(backup)")
        let archive = room.output + "/" + (try room.leftovers().first { $0.hasSuffix(".tar.gz") } ?? "")
        try room.database.psql("DELETE FROM bulk WHERE id > 1000")
        let marker = room.rooms + "/pharaohs/local.txt"
        try "local\n".write(toFile: marker, atomically: true, encoding: .utf8)
        let admin = try TestPostgres.shared().adminSettings
        let result = try snapWithFault(["restore", "pharaohs", archive, "--allow-root", "--force", "--room-control", "none", "--no-wait", "--no-mqtt"] + room.flags()) {
            let seen = pollUntil {
                ((try? Connection(admin).query("SELECT 1 FROM pg_stat_activity WHERE starts_with(datname, $1) AND query ILIKE 'COPY%'", [room.database.name + "_restore_"]).count) ?? 0) > 0
            }
            #expect(seen, "the staging COPY was never seen")
            for pid in processes(withCommandLineContaining: archive) { kill(pid, signal) }
        }
        #expect(result.status == status, "\(result)")
        // One message, saying what happened to the staging database; no second error from the load.
        let messages = result.stderr.split(separator: "\n").filter { $0.hasPrefix("sentient-snap:") && !$0.hasPrefix("sentient-snap: warning:") }
        #expect(messages.count == 1, "\(result.stderr)")
        #expect(messages.first?.contains("interrupted") == true, "\(result.stderr)")
        #expect(messages.first?.contains("staging database") == true && messages.first?.contains("nothing was changed") == true, "\(result.stderr)")
        #expect(try room.database.psql("SELECT count(*) FROM bulk") == "1000")
        #expect(FileManager.default.fileExists(atPath: marker))
        let left = try Connection(admin).query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [room.database.name + "_"]).count
        #expect(left == 0, "the staging database was dropped on the signal")
    }
}

/// Archives built from a good one for the "Trust" items: links through links, entries the
/// manifest does not list, NUL bytes in pax names, and a re-ordered (directories first) copy.
private let buildTrust = #"""
import hashlib, io, json, os, sys, tarfile
good, out, tmpname = sys.argv[1:4]
with tarfile.open(good, "r:gz") as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
top = members[0][0].name.split("/")[0]
manifest = json.loads([d for m, d in members if m.name.endswith("/manifest.json")][0])

def entry(name, kind=tarfile.REGTYPE, data=None, link="", pax=None):
    i = tarfile.TarInfo(top + "/" + name); i.type = kind; i.linkname = link
    i.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    if data is not None: i.size = len(data)
    if pax: i.pax_headers = pax
    return (i, data)

def write(name, ms, manifest_obj=None):
    path = os.path.join(out, name + ".tar.gz")
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as t:
        for m, d in ms:
            if m.name.endswith("/manifest.json") and manifest_obj is not None:
                d = json.dumps(manifest_obj).encode()
                m = tarfile.TarInfo(m.name); m.size = len(d); m.mode = 0o600
            t.addfile(m, io.BytesIO(d) if d is not None else None)
    print(name)

def listed(files=(), links=()):
    obj = json.loads(json.dumps(manifest))
    for path, data in files:
        obj["files"].append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    if "links" in obj:
        for path, target in links: obj["links"].append({"path": path, "target": target})
    return obj

evil = b"evil\n"
chain = [entry("config/s", tarfile.SYMTYPE, link="."),
         entry("config/s/s/s/s/s/s/s/s/l", tarfile.SYMTYPE, link="../../../../../../../.."),
         entry("config/l/tmp/" + tmpname, data=evil)]
chain_links = [("config/s", "."), ("config/s/s/s/s/s/s/s/s/l", "../../../../../../../..")]
write("link-chain", members + chain)
write("link-chain-listed", members + chain, listed([("config/l/tmp/" + tmpname, evil)], chain_links))
old_keys = ("room_name", "version", "git_commit", "timestamp", "backup_type", "container_running", "contents", "created_by", "sentient_version")
write("link-chain-legacy", members + chain, {k: v for k, v in manifest.items() if k in old_keys})
write("unlisted-config", members + [entry("config/extra.yaml", data=b"x: 1\n")])
write("unlisted-db", members + [entry("db/extra.sql", data=b"DROP TABLE events;\n")])
write("unlisted-link", members + [entry("config/extra-link", tarfile.SYMTYPE, link="room.yaml")])
write("nul-linkpath", members + [entry("config/nul", tarfile.SYMTYPE, link="x", pax={"linkpath": "..\0"})],
      listed(links=[("config/nul", "..")]))
write("nul-path", members + [entry("config/a", data=b"a\n", pax={"path": top + "/config/a\0b"})])
dirs = [(m, d) for m, d in members if m.isdir()]
write("reordered", dirs + [(m, d) for m, d in members if not m.isdir()])
"""#

extension HostileInputCLITests {
    @Test("links through links, unlisted entries, NUL bytes in pax names: verify and restore exit 65, nothing written")
    func trustArchives() throws {
        let room = try CLIRoom()
        let backup = try snap(["backup", "pharaohs", room.output, "--allow-root", "--no-mqtt"] + room.flags())
        #expect(backup.status == 0, "\(backup)")
        let good = try FileManager.default.contentsOfDirectory(atPath: room.output).first { $0.hasSuffix(".tar.gz") }!
        let hostile = room.dir.path + "/trust"
        try FileManager.default.createDirectory(atPath: hostile, withIntermediateDirectories: true)
        let tmpName = "snap-escape-\(UUID().uuidString)"
        let escaped = "/tmp/" + tmpName
        defer { unlink(escaped) }
        let built = try runProcess("python3", ["-c", buildTrust, room.output + "/" + good, hostile, tmpName], timeout: 120)
        try #require(built.succeeded, "\(built)")
        let names = built.stdout.split(separator: "\n").map(String.init).filter { $0 != "reordered" }
        #expect(names.count == 8)
        let phrases = [
            "link-chain": "link", "link-chain-listed": "link", "link-chain-legacy": "link",
            "unlisted-config": "config/extra.yaml", "unlisted-db": "db/extra.sql", "unlisted-link": "config/extra-link",
            "nul-linkpath": "NUL", "nul-path": "NUL",
        ]
        let before = listing(room.dir.path)
        let eventsBefore = try room.database.psql("SELECT count(*) FROM events")
        for name in names {
            let archive = hostile + "/" + name + ".tar.gz"
            let verify = try snap(["verify", archive])
            #expect(verify.status == 65, "verify \(name): \(verify)")
            #expect(verify.stderr.contains(phrases[name] ?? "?"), "verify \(name) says why: \(verify.stderr)")
            let restore = try snap(["restore", "pharaohs", archive, "--allow-root", "--force", "--room-control", "none", "--no-wait", "--no-mqtt"] + room.flags())
            #expect(restore.status == 65, "restore \(name): \(restore)")
            #expect(!FileManager.default.fileExists(atPath: escaped), "\(name): an entry escaped to \(escaped)")
        }
        #expect(listing(room.dir.path) == before, "restore wrote files")
        #expect(try room.database.psql("SELECT count(*) FROM events") == eventsBefore)
        let staging = try room.database.server.admin {
            try $0.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [room.database.name + "_"]).count
        }
        #expect(staging == 0)

        // Directories first, then files (as `find -type d; find -type f` lists them): the whole config.
        let reordered = hostile + "/reordered.tar.gz"
        #expect(try snap(["verify", reordered]).status == 0)
        try "changed\n".write(toFile: room.rooms + "/pharaohs/room.yaml", atomically: true, encoding: .utf8)
        let restore = try snap(["restore", "pharaohs", reordered, "--allow-root", "--force", "--room-control", "none", "--no-wait", "--no-mqtt"] + room.flags())
        #expect(restore.status == 0, "\(restore)")
        #expect(listing(room.rooms + "/pharaohs") == listing(fixturePath("rooms/pharaohs")), "the restored config is complete")
        #expect(FileManager.default.contents(atPath: room.rooms + "/pharaohs/room.yaml") == FileManager.default.contents(atPath: fixturePath("rooms/pharaohs/room.yaml")))
    }
}

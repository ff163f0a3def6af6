import Foundation
import TestHarness
import Testing

/// The S3 paths that go wrong: no room for a download, a stored object that no longer matches
/// its sidecar, an upload the store does not hold as sent.
@Suite("s3:// faults", .serialized, .timeLimit(.minutes(20)))
struct S3FaultTests {
    @Test("restore from s3://: a --work-dir without room is refused before any download, a damaged object is 65 (restore and export); nothing is left in the work dir and the room is unchanged",
          .enabled(if: Tmpfs.canMount, "needs root to mount a tmpfs"))
    func downloadFaults() throws {
        let server = try TestS3()
        let fixture = try RestoreCLIRoom()
        let env = server.snapEnvironment
        let name = (fixture.archive as NSString).lastPathComponent
        let synced = try snap(["sync-offsite", fixture.room.output, "s3://venue/rooms", "--allow-root"], environment: env)
        #expect(synced.status == 0, "\(synced)")
        let url = "s3://venue/rooms/" + name
        let restore = ["restore", "pharaohs", url, "--force", "--allow-root", "--room-control", "none", "--no-wait"] + fixture.room.flags()

        // 8 MiB holds the archive but not the margin kept beside it.
        let tiny = try Tmpfs(at: fixture.room.dir.path + "/tiny", size: "8m")
        let cramped = try snap(restore + ["--work-dir", tiny.path], environment: env)
        #expect(cramped.status == 74, "\(cramped)")
        #expect(cramped.stderr.contains("not enough room") && cramped.stderr.contains("Nothing was downloaded"), "\(cramped.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tiny.path).isEmpty, "something was left in the small work dir")
        try fixture.expectUnchanged("no room to download")

        // One flipped byte in the stored object: the download does not match its sidecar on the store.
        let stored = server.root + "/venue/rooms/" + name
        var bytes = try Data(contentsOf: URL(fileURLWithPath: stored))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: stored))
        let work = fixture.room.dir.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let damaged = try snap(restore + ["--work-dir", work], environment: env)
        #expect(damaged.status == 65, "\(damaged)")
        #expect(damaged.stderr.contains(url) && damaged.stderr.contains("sidecar"), "\(damaged.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "the damaged download was left in the work dir")
        try fixture.expectUnchanged("damaged object")
        let dump = fixture.room.dir.file("export.dump")
        let exported = try snap(["export", url, "--dump", dump, "--work-dir", work], environment: env)
        #expect(exported.status == 65, "\(exported)")
        #expect(!FileManager.default.fileExists(atPath: dump))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "the damaged download was left in the work dir")
    }

    @Test("an upload the store's HEAD does not confirm (size, SHA-256) is exit 65, never reported as copied, and the object is removed",
          arguments: ["size", "sha256"])
    func uploadNotConfirmed(_ what: String) throws {
        let fixture = try S3SyncFixture(sizes: [100])
        let name = fixture.archives[0]
        let sum = String(try String(contentsOfFile: fixture.source + "/" + name + ".sha256", encoding: .utf8).prefix(64))
        let head = what == "size"
            ? ["Content-Length": "99", "x-amz-meta-sha256": sum]
            : ["Content-Length": "100", "x-amz-meta-sha256": String(repeating: "0", count: 64)]
        let store = try CannedHTTPServer([
            .init(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"),
            .init(200, "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"),
            .init(200, headers: ["ETag": "\"0123456789abcdef0123456789abcdef\""]),
            .init(200, headers: head),
            .init(204),
        ])
        defer { store.stop() }
        let env = ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_PROFILE": "", "SENTIENT_OFFSITE_ENDPOINT": store.endpoint,
                   "SENTIENT_ENV_DIR": fixture.dir.path + "/no-env"]
        let synced = try snap(["sync-offsite", fixture.source, "s3://venue/x", "--allow-root"], environment: env)
        #expect(synced.status == 65, "\(synced)")
        #expect(synced.stderr.contains("does not match the local file after upload") && synced.stderr.contains("deleted again"), "\(synced.stderr)")
        #expect(!synced.stdout.contains("copied"), "\(synced.stdout)")
        let methods = store.requests.map { String($0.prefix { $0 != " " }) + " " + String($0.split(separator: " ").dropFirst().first ?? "") }
        #expect(methods == ["GET /venue/?list-type=2&prefix=x%2F&max-keys=1000", "GET /venue/?uploads&prefix=x%2F",
                            "PUT /venue/x/\(name)", "HEAD /venue/x/\(name)", "DELETE /venue/x/\(name)"], "\(methods)")
    }
}

import Foundation
@testable import SentientSnap
import TestHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

private final class Signal: @unchecked Sendable {
    let semaphore = DispatchSemaphore(value: 0)
}

private final class Outcome: @unchecked Sendable {
    var result: Result<BackupResult, Error>?
}

@Suite("room config: nothing read outside the room", .timeLimit(.minutes(30)))
struct RoomConfigSafetyTests {
    @Test("git_commit: HEAD's ref may not climb out of .git, and only an object id is returned")
    func gitCommit() throws {
        let dir = try TempDir(prefix: "snap-git")
        let rooms = dir.path + "/engine/rooms"
        try FileManager.default.createDirectory(atPath: rooms, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path + "/engine/.git/refs/heads", withIntermediateDirectories: true)
        let secret = dir.path + "/secret"
        try "SECRET-DATA\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let head = dir.path + "/engine/.git/HEAD"
        let commit = String(repeating: "ab12", count: 10)

        for ref in ["../../secret", "refs/../../../secret", "refs/heads/../../../../secret", dir.path + "/secret"] {
            try "ref: \(ref)\n".write(toFile: head, atomically: true, encoding: .utf8)
            #expect(RoomConfig.gitCommit(roomsDir: rooms) == nil, "ref: \(ref)")
        }
        // A ref that is a link out of .git, and a ref file that holds something else.
        symlink(secret, dir.path + "/engine/.git/refs/heads/linked")
        try "ref: refs/heads/linked\n".write(toFile: head, atomically: true, encoding: .utf8)
        #expect(RoomConfig.gitCommit(roomsDir: rooms) == nil)
        try "not a commit\n".write(toFile: dir.path + "/engine/.git/refs/heads/odd", atomically: true, encoding: .utf8)
        try "ref: refs/heads/odd\n".write(toFile: head, atomically: true, encoding: .utf8)
        #expect(RoomConfig.gitCommit(roomsDir: rooms) == nil)

        // What a checkout holds still reads.
        try "\(commit)\n".write(toFile: dir.path + "/engine/.git/refs/heads/main", atomically: true, encoding: .utf8)
        try "ref: refs/heads/main\n".write(toFile: head, atomically: true, encoding: .utf8)
        #expect(RoomConfig.gitCommit(roomsDir: rooms) == commit)
        try "# pack-refs with: peeled\n\(commit.uppercased().lowercased()) refs/heads/packed\n".write(toFile: dir.path + "/engine/.git/packed-refs", atomically: true, encoding: .utf8)
        try "ref: refs/heads/packed\n".write(toFile: head, atomically: true, encoding: .utf8)
        #expect(RoomConfig.gitCommit(roomsDir: rooms) == commit)
        try "\(commit)\n".write(toFile: head, atomically: true, encoding: .utf8)
        #expect(RoomConfig.gitCommit(roomsDir: rooms) == commit)
    }

    @Test("room.yaml that is a link out of the room is not read for the revision")
    func revisionLink() throws {
        let dir = try TempDir(prefix: "snap-rev")
        let room = dir.path + "/rooms/pharaohs"
        try FileManager.default.createDirectory(atPath: room, withIntermediateDirectories: true)
        try "room:\n  revision: leaked\n".write(toFile: dir.path + "/outside.yaml", atomically: true, encoding: .utf8)
        symlink(dir.path + "/outside.yaml", room + "/room.yaml")
        #expect(try RoomConfig.revision(roomDirectory: room) == nil)
        unlink(room + "/room.yaml")
        try "room:\n  revision: 12\n".write(toFile: room + "/room.yaml", atomically: true, encoding: .utf8)
        #expect(try RoomConfig.revision(roomDirectory: room) == "12")
    }

    /// Runs a backup that lists the config tree, then waits on the room lock the test holds;
    /// `swap` changes the tree meanwhile. Returns the backup's outcome.
    private func backupWithSwap(_ fixture: RoomFixture, swap: () throws -> Void) throws -> Result<BackupResult, Error> {
        let lockPath = fixture.outputDir + "/.sentient-pharaohs.lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(lock >= 0 && flock(lock, LOCK_EX) == 0)
        let waiting = Signal(), finished = Signal(), outcome = Outcome()
        let request = BackupRequest(settings: try fixture.settings(), outputDirectory: fixture.outputDir)
        Thread.detachNewThread {
            outcome.result = Result {
                try BackupJob(request, events: { event in
                    if case .warning(let message) = event, message.contains("is running; waiting") { waiting.semaphore.signal() }
                }).run()
            }
            waiting.semaphore.signal()
            finished.semaphore.signal()
        }
        let listed = waiting.semaphore.wait(timeout: .now() + 120) == .success
        try swap()
        flock(lock, LOCK_UN)
        close(lock)
        #expect(listed, "the backup never waited for the lock")
        #expect(finished.semaphore.wait(timeout: .now() + 300) == .success)
        return outcome.result!
    }

    @Test("a config file or directory swapped for a link after the tree was listed is not read through")
    func swappedForLink() throws {
        let fixture = try RoomFixture(events: 10, prefix: "cfgswap")
        let room = fixture.roomsDir + "/pharaohs"
        let outside = fixture.dir.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside + "/notes", withIntermediateDirectories: true)
        try "TOPSECRET-FILE\n".write(toFile: outside + "/secret", atomically: true, encoding: .utf8)
        try "TOPSECRET-DIR\n".write(toFile: outside + "/notes/a.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: room + "/notes", withIntermediateDirectories: true)
        try "harmless text\n".write(toFile: room + "/notes/a.txt", atomically: true, encoding: .utf8)
        try "harmless text\n".write(toFile: room + "/b.txt", atomically: true, encoding: .utf8)

        let swaps: [(String, () throws -> Void)] = [
            ("file", { unlink(room + "/b.txt"); symlink(outside + "/secret", room + "/b.txt") }),
            ("directory", {
                try FileManager.default.moveItem(atPath: room + "/b.txt", toPath: fixture.dir.path + "/b-link")
                try "harmless text\n".write(toFile: room + "/b.txt", atomically: true, encoding: .utf8)
                try FileManager.default.removeItem(atPath: room + "/notes")
                symlink(outside + "/notes", room + "/notes")
            }),
        ]
        for (name, swap) in swaps {
            let result = try backupWithSwap(fixture, swap: swap)
            if case .failure(let error) = result {
                #expect("\(error)".contains("link"), "\(name): \(error)")
            }
            for archive in try FileManager.default.contentsOfDirectory(atPath: fixture.outputDir) where archive.hasSuffix(".tar.gz") {
                let found = try runProcess("/bin/sh", ["-c", "gzip -dc '\(fixture.outputDir)/\(archive)' | grep -c -a TOPSECRET || true"])
                #expect(found.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(name): content from outside the room was stored in \(archive)")
            }
        }
    }
}

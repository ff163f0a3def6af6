import Foundation
import Testing

@testable import PGDump
@testable import SentientSnap

/// sync-offsite's progress: rsync's per-file progress lines read as they come, the model fed by
/// the sync's events; the download and encryption steps of backup, verify and restore.
@Suite("transfer progress")
struct OffsiteProgressTests {
    /// What rsync 3.5 wrote with `--out-format=%i %n --info=progress1` sending a.tar.gz (30 MB),
    /// b.tar.gz (2 MB) and b.tar.gz.sha256 (2 bytes) to a local directory.
    static let rsyncOutput = ">f+++++++++ a.tar.gz\n\r         32,768   0%    0.00kB/s    0:00:00  \r     21,561,344  71%   19.44MB/s    0:00:00  "
        + "\r     30,000,000 100%   20.74MB/s    0:00:01 (xfr#1, to-chk=2/4)\n>f+++++++++ b.tar.gz\n\r         32,768   1%   99.69kB/s    0:00:19  "
        + "\r      2,000,000 100%    4.47MB/s    0:00:00 (xfr#2, to-chk=1/4)\n>f+++++++++ b.tar.gz.sha256\n\r              2 100%    0.00kB/s    0:00:00  "
        + "\r              2 100%    0.00kB/s    0:00:00 (xfr#3, to-chk=0/4)\n*deleting   old.tar.gz\n"

    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [OffsiteEvent] = []
        func add(_ event: OffsiteEvent) { lock.withLock { list.append(event) } }
        var all: [OffsiteEvent] { lock.withLock { list } }
    }

    @Test("rsync's progress lines: each file's bytes as they come, in any chunking; the item lines kept for the result", arguments: [1, 7, 64, 4096])
    func rsyncReader(chunk: Int) {
        let events = Events()
        var reader = RsyncProgressReader(events: { events.add($0) })
        let bytes = Array(Self.rsyncOutput.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            reader.feed(Data(bytes[start..<min(bytes.count, start + chunk)]))
        }
        reader.finish()
        #expect(events.all == [
            .file(.send, name: "a.tar.gz", bytes: 0), .file(.send, name: "a.tar.gz", bytes: 32768),
            .file(.send, name: "a.tar.gz", bytes: 21_561_344), .file(.send, name: "a.tar.gz", bytes: 30_000_000),
            .file(.send, name: "b.tar.gz", bytes: 0), .file(.send, name: "b.tar.gz", bytes: 32768), .file(.send, name: "b.tar.gz", bytes: 2_000_000),
            .file(.send, name: "b.tar.gz.sha256", bytes: 0), .file(.send, name: "b.tar.gz.sha256", bytes: 2), .file(.send, name: "b.tar.gz.sha256", bytes: 2),
        ])
        let items = OffsiteSync.items(reader.itemText)
        #expect(items.map(\.item) == [">f+++++++++", ">f+++++++++", ">f+++++++++", "*deleting"])
        #expect(items.map(\.name) == ["a.tar.gz", "b.tar.gz", "b.tar.gz.sha256", "old.tar.gz"])
    }

    @Test("a progress line is told from an item line, a name with digits and a summary")
    func progressBytes() {
        #expect(RsyncProgressReader.progressBytes("     21,561,344  71%   19.44MB/s    0:00:00  ") == 21_561_344)
        #expect(RsyncProgressReader.progressBytes("  2.000.000 100%    4.47MB/s    0:00:00 (xfr#2, to-chk=1/4)") == 2_000_000)
        #expect(RsyncProgressReader.progressBytes("              2 100%    0.00kB/s    0:00:00") == 2)
        #expect(RsyncProgressReader.progressBytes(">f+++++++++ 100 50% a 0:00:00") == nil)
        #expect(RsyncProgressReader.progressBytes("<f+++++++++ sentient-pharaohs-20240101-020000.tar.gz") == nil)
        #expect(RsyncProgressReader.progressBytes("sent 1,234 bytes  received 35 bytes  2,538.00 bytes/sec") == nil)
        #expect(RsyncProgressReader.progressBytes("") == nil)
    }

    @Test("the rsync plan: files rsync would send (pushed or local), with their sizes from the source")
    func rsyncPlan() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snap-plan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(count: 1000).write(to: URL(fileURLWithPath: dir + "/a.tar.gz"))
        try Data(count: 65).write(to: URL(fileURLWithPath: dir + "/a.tar.gz.sha256"))
        let plan = OffsiteSync.transferPlan([(".d..t......", "./"), ("<f+++++++++", "a.tar.gz"), (">f.st......", "a.tar.gz.sha256"),
                                             (".f         ", "old.tar.gz"), ("*deleting", "gone.tar.gz")], source: dir)
        #expect(plan == [OffsiteFile(name: "a.tar.gz", bytes: 1000), OffsiteFile(name: "a.tar.gz.sha256", bytes: 65)])
    }

    private func isMonotonic(_ values: [Double]) -> Bool { zip(values, values.dropFirst()).allSatisfy { $0 <= $1 } }

    @Test("sync-offsite's model: encryption, then the sending planned when known; the run's bytes, never back, 100 % at the end")
    func offsiteModel() {
        var model = ProgressModel(steps: ProgressPlans.offsite(), startedAt: 0)
        var seen: [Double] = []
        var time = 0.0
        func apply(_ event: OffsiteEvent) {
            model.apply(event)
            time += 1
            seen.append(model.snapshot(at: time).fraction)
        }
        apply(.planned(.encrypt, [OffsiteFile(name: "a.tar.gz", bytes: 100)]))
        apply(.file(.encrypt, name: "a.tar.gz", bytes: 50))
        // Half the encryption, and the sending (as heavy) not begun: a quarter.
        #expect(abs(seen.last! - 0.25) < 0.001, "\(seen)")
        apply(.file(.encrypt, name: "a.tar.gz", bytes: 100))
        apply(.planned(.send, [OffsiteFile(name: "a.tar.gz.age", bytes: 120), OffsiteFile(name: "a.tar.gz.age.sha256", bytes: 80)]))
        apply(.file(.send, name: "a.tar.gz.age", bytes: 0))
        let sending = model.snapshot(at: time)
        #expect(sending.phase == "send" && sending.step == "a.tar.gz.age" && sending.total == 200, "\(sending)")
        apply(.file(.send, name: "a.tar.gz.age", bytes: 60))
        #expect(abs(seen.last! - 160.0 / 300) < 0.001, "the run's bytes: 100 encrypted and 60 sent of 300: \(seen)")
        apply(.file(.send, name: "a.tar.gz.age", bytes: 120))
        // A file the plan did not have is counted where it comes, finishing no later step.
        apply(.file(.send, name: "surprise", bytes: 10))
        apply(.file(.send, name: "a.tar.gz.age.sha256", bytes: 40))
        let late = model.snapshot(at: time)
        #expect(late.step == "a.tar.gz.age.sha256" && late.stepFraction == 0.5, "\(late)")
        #expect(isMonotonic(seen) && seen.allSatisfy { $0 < 1 }, "\(seen)")
        model.finish()
        #expect(model.snapshot(at: time + 1).fraction == 1)
    }

    @Test("nothing to send: planned empty, the run still ends at 100 %")
    func offsiteNothing() {
        var model = ProgressModel(steps: ProgressPlans.offsite(), startedAt: 0)
        model.apply(.planned(.send, []))
        #expect(model.snapshot(at: 1).fraction == 0)
        model.finish()
        #expect(model.snapshot(at: 2).fraction == 1)
    }

    @Test("an encrypted backup: the dump leaves the encryption its share; the bar is not at 100 % while it runs")
    func encryptedBackup() {
        let tables = [PlannedTable(dumpId: 1, schema: "public", name: "events", copyOutSQL: "", estimatedBytes: 1000, estimatedRows: nil)]
        var model = ProgressModel(steps: ProgressPlans.backup(tables, encrypted: true), startedAt: 0)
        model.update(0, done: 1000)
        let dumped = model.snapshot(at: 1).fraction
        #expect(dumped > 0.9 && dumped < 0.96, "\(dumped)")
        let encrypt = model.index(phase: "encrypt")!
        model.update(encrypt, done: 50, total: 100)
        let half = model.snapshot(at: 2)
        #expect(half.phase == "encrypt" && half.stepFraction == 0.5 && half.fraction > dumped && half.fraction < 0.99, "\(half)")
        #expect(ProgressPlans.backup(tables).count == 1, "no encryption step without --encrypt-to")
    }

    @Test("restore and verify of an s3:// archive: the download comes first and has its share")
    func downloadFirst() {
        var restore = ProgressModel(steps: ProgressPlans.restore(archiveBytes: 1000, downloaded: true), startedAt: 0)
        #expect(restore.steps.first?.phase == "download" && restore.steps.dropFirst().first?.phase == "verify")
        restore.update(0, done: 1000)
        let downloaded = restore.snapshot(at: 1).fraction
        #expect(downloaded > 0.15 && downloaded < 0.25, "\(downloaded)")
        restore.apply(.phase(.verify(archiveBytes: 1000)))
        restore.apply(.verifying(bytesRead: 500))
        #expect(restore.snapshot(at: 2).fraction > downloaded)
        #expect(ProgressPlans.restore(archiveBytes: 1000).first?.phase == "verify")

        var verify = ProgressModel(steps: ProgressPlans.verify(archiveBytes: 1000, downloaded: true), startedAt: 0)
        verify.update(0, done: 1000)
        let half = verify.snapshot(at: 1).fraction
        #expect(half > 0.5 && half < 0.6, "\(half)")
    }
}

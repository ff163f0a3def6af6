import Foundation
import PGWire
import TestHarness
import Testing

/// A room with enough events (100,000, analyzed so the catalog's estimate is real) that a backup
/// reads many COPY chunks, and a backup of it to restore.
private struct ProgressRoom {
    let room: CLIRoom
    static let events = 100_000

    init() throws {
        room = try CLIRoom()
        try room.database.psql("""
            INSERT INTO events (ts, level, event, room_id, fields)
            SELECT now(), 'info', 'puzzle_solved', 'pharaohs', jsonb_build_object('n', g, 'pad', repeat('x', 60))
            FROM generate_series(1, \(Self.events - 10)) g;
            ANALYZE;
            """)
    }

    func backupArgs(_ extra: [String] = []) -> [String] {
        ["backup", "pharaohs", room.output, "--allow-root"] + room.flags() + extra
    }

    func restoreArgs(_ archive: String, _ extra: [String] = []) -> [String] {
        ["restore", "pharaohs", archive, "--allow-root", "--room-control", "none", "--no-wait", "--force"] + room.flags() + extra
    }

    func archive() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: room.output).filter { $0.hasSuffix(".tar.gz") }.sorted()
        return room.output + "/" + (try #require(names.last, "no archive in \(room.output)"))
    }
}

/// Redraw after every update, so a short run shows the line at many points.
private let everyUpdate = snapEnvironment.merging(["SENTIENT_PROGRESS_INTERVAL": "0"]) { $1 }

/// The progress lines a terminal showed: each draw is `\r ESC[K` then the line; a clear is
/// `\r ESC[K` and nothing (or other output) after it.
private struct Drawn {
    var lines: [String] = []
    var percents: [Int] = []
    /// The last thing written with `\r ESC[K` was a clear, not a progress line.
    var clearedAtEnd = false

    init(_ output: String) {
        let segments = output.components(separatedBy: "\r\u{1B}[K").dropFirst()
        for segment in segments {
            let line = String(segment.prefix { $0 != "\r" && $0 != "\n" })
            let trimmed = line.drop { $0 == " " }
            if let end = trimmed.firstIndex(of: "%"), let percent = Int(trimmed[..<end]) {
                lines.append(line)
                percents.append(percent)
                clearedAtEnd = false
            } else {
                clearedAtEnd = true
            }
        }
    }
}

@Suite("progress on the command line", .timeLimit(.minutes(30)))
struct ProgressCLITests {
    @Test("backup and restore on a terminal: the percentage only grows, ends at 100 % and the line is cleared; it fits the width")
    func terminal() throws {
        let fixture = try ProgressRoom()
        let binary = try productPath("sentient-snap")
        let backup = try runInTerminal(binary, fixture.backupArgs(), environment: everyUpdate, answer: nil, columns: 120)
        #expect(backup.status == 0, "\(backup)")
        #expect(backup.stdout.contains("Backed up room pharaohs"), "\(backup)")
        let drawnBackup = Drawn(backup.stdout)
        #expect(drawnBackup.percents.count >= 5, "\(drawnBackup.lines)")
        #expect(zip(drawnBackup.percents, drawnBackup.percents.dropFirst()).allSatisfy { $0 <= $1 }, "\(drawnBackup.percents)")
        #expect(drawnBackup.percents.last == 100, "\(drawnBackup.percents)")
        #expect(drawnBackup.percents.dropLast().allSatisfy { $0 < 100 }, "100 % only at the end: \(drawnBackup.percents)")
        #expect(Set(drawnBackup.percents).count >= 3, "the line was read at several points: \(drawnBackup.percents)")
        #expect(drawnBackup.clearedAtEnd, "\(backup.stdout.suffix(400))")
        #expect(drawnBackup.lines.allSatisfy { $0.count <= 119 }, "\(drawnBackup.lines.filter { $0.count > 119 })")
        #expect(drawnBackup.lines.contains { $0.contains("] dump public.events") && $0.contains(" -> ") && $0.contains("rows") && $0.contains("ETA") },
                "\(drawnBackup.lines)")

        let archive = try fixture.archive()
        try fixture.room.database.psql("DELETE FROM events WHERE event_id % 2 = 0")
        let restore = try runInTerminal(binary, fixture.restoreArgs(archive), environment: everyUpdate, answer: nil, columns: 72)
        #expect(restore.status == 0, "\(restore)")
        #expect(restore.stdout.contains("Restored room pharaohs"), "\(restore)")
        #expect(try fixture.room.database.psql("SELECT count(*) FROM events") == String(ProgressRoom.events))
        let drawn = Drawn(restore.stdout)
        #expect(drawn.percents.count >= 5, "\(drawn.lines)")
        #expect(zip(drawn.percents, drawn.percents.dropFirst()).allSatisfy { $0 <= $1 }, "\(drawn.percents)")
        #expect(drawn.percents.last == 100, "\(drawn.percents)")
        #expect(drawn.percents.dropLast().allSatisfy { $0 < 100 }, "\(drawn.percents)")
        #expect(Set(drawn.percents).count >= 3, "\(drawn.percents)")
        #expect(drawn.clearedAtEnd, "\(restore.stdout.suffix(400))")
        #expect(drawn.lines.allSatisfy { $0.count <= 71 }, "\(drawn.lines.filter { $0.count > 71 })")
        // One pass: the archive is checked while it loads, so there is no verify phase of its own.
        for phase in ["load", "indexes"] {
            #expect(drawn.lines.contains { $0.contains("] \(phase)") }, "\(phase): \(drawn.lines)")
        }
        // The plain step lines still scroll above the bar.
        #expect(restore.stdout.contains("swapping "), "\(restore)")
    }

    @Test("no terminal, or --quiet, or --progress none: no progress line at all")
    func noProgress() throws {
        let fixture = try ProgressRoom()
        let binary = try productPath("sentient-snap")
        let piped = try snap(fixture.backupArgs(), environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(piped.status == 0, "\(piped)")
        #expect(!piped.stderr.contains("\u{1B}[K") && !piped.stderr.contains("ETA") && !piped.stderr.contains("%"), "\(piped.stderr)")
        for flag in ["--quiet", "--progress=none"] {
            let quiet = try runInTerminal(binary, fixture.backupArgs([flag]), environment: everyUpdate, answer: nil)
            #expect(quiet.status == 0, "\(flag): \(quiet)")
            #expect(!quiet.stdout.contains("\u{1B}[K") && !quiet.stdout.contains("ETA"), "\(flag): \(quiet.stdout)")
        }
        let archive = try fixture.archive()
        let restore = try snap(fixture.restoreArgs(archive), environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(restore.status == 0, "\(restore)")
        #expect(!restore.stderr.contains("\u{1B}[K") && !restore.stderr.contains("ETA"), "\(restore.stderr)")
        #expect(restore.stderr.contains("reading the head of "), "one plain line per phase: \(restore.stderr)")
        let quiet = try runInTerminal(binary, fixture.restoreArgs(archive, ["--quiet"]), environment: everyUpdate, answer: nil)
        #expect(quiet.status == 0, "\(quiet)")
        #expect(!quiet.stdout.contains("\u{1B}[K") && !quiet.stdout.contains("ETA"), "\(quiet.stdout)")
    }

    /// Every stderr line that is a JSON object, parsed.
    private func jsonLines(_ stderr: String) throws -> [[String: Any]] {
        try stderr.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
        }
    }

    private func expectProgression(_ objects: [[String: Any]], phases: [String], _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let percents = objects.compactMap { ($0["percent_done"] as? NSNumber)?.doubleValue }
        #expect(percents.count == objects.count && objects.count >= 5, "\(context): \(objects)", sourceLocation: sourceLocation)
        #expect(zip(percents, percents.dropFirst()).allSatisfy { $0 <= $1 }, "\(context): \(percents)", sourceLocation: sourceLocation)
        #expect(percents.last == 1, "\(context): \(percents)", sourceLocation: sourceLocation)
        #expect(percents.dropLast().allSatisfy { $0 < 1 }, "\(context): \(percents)", sourceLocation: sourceLocation)
        #expect(objects.last?["message_type"] as? String == "summary", "\(context)", sourceLocation: sourceLocation)
        #expect(objects.dropLast().allSatisfy { $0["message_type"] as? String == "status" }, "\(context)", sourceLocation: sourceLocation)
        let seen = Set(objects.compactMap { $0["phase"] as? String })
        for phase in phases { #expect(seen.contains(phase), "\(context): \(phase) in \(seen)", sourceLocation: sourceLocation) }
    }

    @Test("--progress=json without a terminal: one JSON object per update on stderr, percent_done grows to 1, stdout keeps --json's result")
    func json() throws {
        let fixture = try ProgressRoom()
        let backup = try snap(fixture.backupArgs(["--progress=json", "--json"]), environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(backup.status == 0, "\(backup)")
        let result = try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any]
        #expect(result?["archive"] is String, "\(backup.stdout)")
        let backupLines = try jsonLines(backup.stderr)
        expectProgression(backupLines, phases: ["dump"], "backup")
        let events = backupLines.last { $0["step"] as? String == "public.events" && $0["rows_total"] != nil }
        #expect(events?["bytes_written"] != nil && events?["seconds_elapsed"] != nil, "\(backupLines.suffix(3))")

        let restore = try snap(fixture.restoreArgs(try fixture.archive(), ["--progress", "json"]), environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(restore.status == 0, "\(restore)")
        expectProgression(try jsonLines(restore.stderr), phases: ["load", "indexes", "swap"], "restore")
        #expect(!restore.stderr.contains("reading the head of "), "the phases are in the JSON, not as step lines: \(restore.stderr)")
        let twoPass = try snap(fixture.restoreArgs(try fixture.archive(), ["--progress", "json", "--verify-first"]), environment: ["SENTIENT_PROGRESS_INTERVAL": "0"])
        #expect(twoPass.status == 0, "\(twoPass)")
        expectProgression(try jsonLines(twoPass.stderr), phases: ["verify", "load", "indexes", "swap"], "restore --verify-first")
        #expect(!twoPass.stderr.contains("verifying "), "the phases are in the JSON, not as step lines: \(twoPass.stderr)")

        let verify = try snap(["verify", try fixture.archive(), "--progress=json"])
        #expect(verify.status == 0, "\(verify)")
        let verifyLines = try jsonLines(verify.stderr)
        #expect(verifyLines.last?["percent_done"] as? NSNumber == 1, "\(verifyLines)")
    }
}

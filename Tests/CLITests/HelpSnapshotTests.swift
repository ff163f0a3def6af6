import Foundation
import TestHarness
import Testing

/// `--help` of the root command and of every subcommand at 80 columns, compared to the letter
/// with `HelpSnapshots/<command>.txt`, so a help change is seen in review. After a deliberate
/// change (or a merge that adds options), rewrite them with one command (README "Development"):
///
///     SENTIENT_UPDATE_SNAPSHOTS=1 swift test --skip-build --filter HelpSnapshotTests
@Suite("help text at 80 columns", .timeLimit(.minutes(30)))
struct HelpSnapshotTests {
    /// The root (`[]`) and every subcommand; `everySubcommandHasASnapshot` keeps this complete.
    static let commands: [[String]] = [
        [], ["backup"], ["backup-all"], ["restore"], ["verify"], ["list"], ["status"], ["prune"], ["export"], ["sync-offsite"],
    ]

    static let directory = packageRoot + "/Tests/CLITests/HelpSnapshots"

    static func snapshotPath(_ command: [String]) -> String {
        directory + "/" + (command.first ?? "sentient-snap") + ".txt"
    }

    /// `sentient-snap <command> --help` as a terminal 80 columns wide would show it.
    static func help(_ command: [String]) throws -> String {
        let result = try runProcess(try productPath("sentient-snap"), command + ["--help"], environment: ["COLUMNS": "80"], timeout: 60)
        guard result.status == 0 else { throw HarnessError("sentient-snap \(command.joined(separator: " ")) --help failed: \(result)") }
        return result.stdout
    }

    @Test("the help matches its snapshot (SENTIENT_UPDATE_SNAPSHOTS=1 rewrites it)", arguments: commands)
    func matchesSnapshot(_ command: [String]) throws {
        let text = try Self.help(command)
        let path = Self.snapshotPath(command)
        if ProcessInfo.processInfo.environment["SENTIENT_UPDATE_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.directory, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let stored = try #require(
            try? String(contentsOfFile: path, encoding: .utf8),
            "no snapshot at \(path): run SENTIENT_UPDATE_SNAPSHOTS=1 swift test --skip-build --filter HelpSnapshotTests")
        #expect(text == stored, "sentient-snap \(command.joined(separator: " ")) --help differs from \(path); if the change is meant, rewrite it with SENTIENT_UPDATE_SNAPSHOTS=1")
    }

    @Test("no line is wider than 80 columns", arguments: commands)
    func fitsIn80Columns(_ command: [String]) throws {
        let text = try Self.help(command)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where line.count > 80 {
            Issue.record("sentient-snap \(command.joined(separator: " ")) --help: \(line.count) columns: \(line)")
        }
    }

    @Test("paragraphs are wrapped once: no line of prose ends far short of the margin in mid-sentence", arguments: commands)
    func wrappedOnce(_ command: [String]) throws {
        // A paragraph hard-wrapped in the source at ~90 columns and wrapped again at 80 leaves
        // a line of one or two words after each long one.
        let lines = try Self.help(command).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, line) in lines.enumerated().dropLast() where line.count >= 60 && !line.hasPrefix(" ") {
            let next = lines[index + 1]
            let nextIsEndOfParagraph = index + 2 >= lines.count || lines[index + 2].isEmpty
            if !next.isEmpty, !next.hasPrefix(" "), next.count < 20, !nextIsEndOfParagraph {
                Issue.record("sentient-snap \(command.joined(separator: " ")) --help: a short line inside a paragraph (wrapped twice?): '\(next)' after '\(line)'")
            }
        }
    }

    @Test("no option states its default twice", arguments: commands)
    func oneDefaultPerOption(_ command: [String]) throws {
        // An option's entry starts at two spaces of indentation; its help continues further in.
        var entries: [String] = []
        for line in try Self.help(command).split(separator: "\n") {
            if line.hasPrefix("  ") && !line.hasPrefix("   ") { entries.append(String(line)) } else if line.hasPrefix("   "), !entries.isEmpty { entries[entries.count - 1] += " " + line.trimmingCharacters(in: .whitespaces) }
        }
        for entry in entries {
            let count = entry.components(separatedBy: "default:").count - 1 + entry.components(separatedBy: "default as flag:").count - 1
            #expect(count <= 1, "sentient-snap \(command.joined(separator: " ")) --help gives a default \(count) times: \(entry)")
        }
    }

    @Test("every subcommand the root lists has a snapshot")
    func everySubcommandHasASnapshot() throws {
        let root = try Self.help([])
        let section = try #require(root.components(separatedBy: "SUBCOMMANDS:\n").last)
        let listed = section.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
            .filter { !$0.hasPrefix("   ") }   // not a wrapped abstract
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(!listed.isEmpty)
        #expect(Set(listed) == Set(Self.commands.compactMap(\.first)), "subcommands in the root's help: \(listed)")
    }
}

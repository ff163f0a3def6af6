import Foundation
import TestHarness
import Testing

@Suite("--verbose")
struct VerboseCLITests {
    @Test("--verbose prints the cause chain under the error, before or after the subcommand; without it, one line")
    func causeChain() throws {
        let dir = try TempDir()
        let archive = dir.file("garbage.tar.gz")
        try Data("this is not a gzip file at all\n".utf8).write(to: URL(fileURLWithPath: archive))

        let plain = try snap(["verify", archive])
        #expect(plain.status == 65, "\(plain.stderr)")
        #expect(!plain.stderr.contains("cause chain"), "\(plain.stderr)")

        for args in [["verify", archive, "--verbose"], ["--verbose", "verify", archive]] {
            let verbose = try snap(args)
            #expect(verbose.status == 65, "\(args): \(verbose.stderr)")
            let lines = verbose.stderr.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("sentient-snap: error: ") == true, "\(verbose.stderr)")
            #expect(lines.contains("sentient-snap: cause chain (--verbose):"), "\(verbose.stderr)")
            #expect(lines.contains { $0.hasPrefix("  error: SnapError(damagedArchive): ") }, "\(verbose.stderr)")
            #expect(lines.contains { $0.hasPrefix("  cause: ArchiveError(corrupt): ") }, "\(verbose.stderr)")
        }
    }
}

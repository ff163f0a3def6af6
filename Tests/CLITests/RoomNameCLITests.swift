import Foundation
import TestHarness
import Testing

/// Every command that takes a room refuses a bad name the same way, before touching anything:
/// `RoomSettings.validateRoomName`'s message, the usage, exit 64.
@Suite("room names on the command line", .timeLimit(.minutes(30)))
struct RoomNameCLITests {
    static let commands: [[String]] = [
        ["backup", "../etc", "/tmp"],
        ["restore", "../etc", "/tmp/none.tar.gz", "--force"],
        ["list", "/tmp", "--room", "../etc"],
        ["prune", "/tmp", "--room", "../etc", "--dry-run"],
        ["status", "/tmp", "--room", "../etc"],
    ]

    @Test("a bad room name: exit 64 with the room-name message and the usage", arguments: commands)
    func badRoomName(_ args: [String]) throws {
        let result = try snap(args)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.hasPrefix("Error: invalid room name '../etc': use 1-48 letters, digits, '_' or '-' (for example: pharaohs)\nUsage: sentient-snap \(args[0])"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}

import ArgumentParser
import SentientSnap

/// A room name from the command line (`backup <room>`, `restore <room>`, `--room`), checked by
/// `RoomSettings.validateRoomName`: it becomes part of file and database names.
///
/// Parsing keeps any text and `validate()` refuses a bad one from the command's own `validate()`:
/// a failed `init?(argument:)` would make argument-parser print its generic "The value ... is
/// invalid" line instead of this message ("Error: invalid room name ...", the usage, exit 64).
struct RoomName: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let name: String

    init?(argument: String) {
        name = argument
    }

    var description: String { name }

    /// - Throws: `ValidationError` with `validateRoomName`'s message (exit 64).
    func validate() throws {
        do {
            try RoomSettings.validateRoomName(name)
        } catch let error as SnapError {
            throw ValidationError(error.message)
        }
    }
}

import ArgumentParser
import Foundation
import SentientSnap

/// `--identity`: what opens encrypted (`.tar.gz.age`) archives.
struct IdentityOptions: ParsableArguments {
    @Option(name: .customLong("identity"), help: ArgumentHelp("age identity file (AGE-SECRET-KEY-1..., as age-keygen writes it) for encrypted .tar.gz.age archives (default: SENTIENT_IDENTITY).", valueName: "file"))
    var identity: String?

    /// The flag, else `SENTIENT_IDENTITY` from the room's env file (when there is a room), else
    /// from the environment; none when none is set.
    func keys(settings: RoomSettings? = nil) throws -> ArchiveKeys {
        let path = identity ?? settings?.identityFile ?? ProcessInfo.processInfo.environment["SENTIENT_IDENTITY"]
        guard let path, !path.isEmpty else { return .none }
        return try ArchiveKeys.load(identityFile: path)
    }
}

import ArgumentParser
import Foundation
import RoomWires
import SentientSnap

extension DockerNetwork: ExpressibleByArgument {}

/// `restore`'s options for a host whose room has no container yet (DESIGN.md "Restore flow").
struct RoomCreationFlags: ParsableArguments {
    @Flag(name: .customLong("create-room"), help: "When the room's container does not exist (room control auto or docker), create it; without a terminal also pass --force. An interactive restore offers it in its plan.")
    var createRoom = false

    @Option(name: .customLong("room-image"), help: "Image for a created room (default: $SENTIENT_ROOM_IMAGE, else \(RoomCreationOptions.defaultImage)).")
    var roomImage: String?

    @Option(name: .customLong("room-network"), help: "Network of a created room: bridge publishes the API, MQTT and PostgreSQL ports, host shares the host's (default: $SENTIENT_ROOM_NETWORK, else bridge).")
    var roomNetwork: DockerNetwork?

    @Option(name: .customLong("start-command"), help: ArgumentHelp("Create the room by running CMD with /bin/sh -c instead (default: $SENTIENT_START_COMMAND); it gets SENTIENT_ROOM, SENTIENT_API_PORT, SENTIENT_MQTT_PORT, SENTIENT_PG_PORT and SENTIENT_ROOMS_DIR.", valueName: "cmd"))
    var startCommand: String?

    func validate() throws {
        if roomNetwork == nil, let text = environment["SENTIENT_ROOM_NETWORK"], !text.isEmpty, DockerNetwork(rawValue: text) == nil {
            throw ValidationError("SENTIENT_ROOM_NETWORK=\(text) is not a room network: use bridge or host.")
        }
        if roomImage?.isEmpty == true { throw ValidationError("--room-image needs an image name.") }
        if startCommand?.trimmingCharacters(in: .whitespaces).isEmpty == true { throw ValidationError("--start-command needs a command.") }
    }

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The options for the request. `interactive`: the confirmation will be asked on a terminal,
    /// so the plan may offer the creation without --create-room.
    func options(interactive: Bool) -> RoomCreationOptions {
        var options = RoomCreationOptions()
        options.consent = createRoom ? .yes : (interactive ? .ifConfirmed : .no)
        options.image = roomImage ?? environment["SENTIENT_ROOM_IMAGE"].flatMap { $0.isEmpty ? nil : $0 } ?? RoomCreationOptions.defaultImage
        options.network = roomNetwork ?? environment["SENTIENT_ROOM_NETWORK"].flatMap { DockerNetwork(rawValue: $0) } ?? .bridge
        options.startCommand = startCommand ?? environment["SENTIENT_START_COMMAND"].flatMap { $0.isEmpty ? nil : $0 }
        return options
    }
}

import Foundation
import PGWire
import RoomWires

/// Whether a restore may create the room's container when it does not exist (a bare host).
public enum RoomCreationConsent: String, Sendable {
    /// Never: the runbook, as before (no `--create-room`, no terminal to ask on).
    case no
    /// When the confirmation (which lists the creation) is answered yes: an interactive restore.
    case ifConfirmed
    /// `--create-room`.
    case yes
}

/// How a restore creates a room that has no container yet (`--create-room` and its options).
public struct RoomCreationOptions: Sendable {
    public static let defaultImage = "sentient-room:dev"
    /// Passed from the caller's environment to the container when set, as the start script's `-e`.
    public static let passedVariables = ["SENTIENT_ADMIN_USER", "SENTIENT_ADMIN_PASS", "SENTIENT_OPERATOR_USER", "SENTIENT_OPERATOR_PASS"]

    public var consent: RoomCreationConsent = .no
    public var image = RoomCreationOptions.defaultImage
    public var network: DockerNetwork = .bridge
    /// Run with `/bin/sh -c` instead of creating the container through the engine API.
    public var startCommand: String?
    /// Where the passed variables come from (the process environment).
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// How long to wait for PostgreSQL after creating; nil: the ready timeout, at least 120 s
    /// (a new room initialises its database on first start).
    public var postgresTimeout: Double?

    public init() {}
}

/// A planned creation of the room: the container the start script would run, or the site's
/// own start command. Runs after the config directory is restored (it is bind-mounted).
struct RoomCreation {
    let settings: RoomSettings
    let options: RoomCreationOptions

    var volume: String { "sentient_\(settings.room)_data" }

    /// The config directory as an absolute path (a bind mount needs one).
    var configDir: String {
        let dir = settings.roomDirectory
        return dir.hasPrefix("/") ? dir : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(dir)
    }

    var roomsDir: String { (configDir as NSString).deletingLastPathComponent }

    var spec: ContainerSpec {
        var environment: [String: String] = [:]
        for key in RoomCreationOptions.passedVariables {
            if let value = options.environment[key] { environment[key] = value }
        }
        return ContainerSpec(
            name: settings.container, image: options.image, network: options.network,
            ports: [.init(container: 8080, host: settings.apiPort), .init(container: 1883, host: settings.mqttPort),
                    .init(container: 5432, host: settings.pgPort)],
            binds: ["\(volume):/data", "\(configDir):/config"], environment: environment)
    }

    /// The variables the start command gets.
    var commandEnvironment: [String: String] {
        ["SENTIENT_ROOM": settings.room, "SENTIENT_API_PORT": String(settings.apiPort),
         "SENTIENT_MQTT_PORT": String(settings.mqttPort), "SENTIENT_PG_PORT": String(settings.pgPort),
         "SENTIENT_ROOMS_DIR": roomsDir]
    }

    /// For the confirmation plan; names the passed variables, never their values.
    var planLine: String {
        if let command = options.startCommand {
            return "room: container \(settings.container) does not exist: run the start command `\(command)` (with SENTIENT_ROOM=\(settings.room), "
                + "SENTIENT_API_PORT=\(settings.apiPort), SENTIENT_MQTT_PORT=\(settings.mqttPort), SENTIENT_PG_PORT=\(settings.pgPort), "
                + "SENTIENT_ROOMS_DIR=\(roomsDir)) after restoring the config, then wait for PostgreSQL on \(settings.host):\(settings.pgPort)"
        }
        let spec = spec
        let network = spec.network == .bridge
            ? "network bridge, ports \(spec.ports.map { "\($0.host):\($0.container)" }.joined(separator: ", "))"
            : "network host"
        let passed = spec.environment.keys.sorted()
        return "room: create container \(spec.name) from image \(spec.image) (\(network), volume \(volume) at /data, \(configDir) at /config"
            + (passed.isEmpty ? "" : ", passing \(passed.joined(separator: ", "))")
            + ") after restoring the config, start it and wait for PostgreSQL on \(settings.host):\(settings.pgPort)"
    }

    /// What the result and the summary call it.
    var summary: String {
        if options.startCommand != nil { return "by the start command" }
        return "container \(settings.container) from image \(options.image) (network \(options.network.rawValue), volume \(volume))"
    }

    /// Creates and starts the room (or runs the start command). A container that cannot start
    /// is removed again, so a second run starts from the same state; the volume is kept.
    func create(events: (RestoreEvent) -> Void) throws {
        if let command = options.startCommand {
            events(.step("running the start command for \(settings.room)"))
            try runStartCommand(command)
            return
        }
        let docker = DockerEngine()
        let spec = spec
        events(.step((try docker.ensureVolume(volume) ? "created volume " : "using the existing volume ") + volume))
        events(.step("creating container \(spec.name) from \(spec.image)"))
        try docker.create(spec)
        events(.step("starting container \(spec.name)"))
        do {
            try docker.start(spec.name)
        } catch {
            try? docker.remove(spec.name)
            throw SnapError(wrapping: error, "\(error) (the container \(spec.name) was removed again; the volume \(volume) is kept)")
        }
    }

    private func runStartCommand(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ProcessInfo.processInfo.environment.merging(commandEnvironment) { $1 }
        // Its output is for the technician, never mixed into --json on stdout.
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw SnapError(.unreachable, "cannot run the start command with /bin/sh: \(error.localizedDescription)", underlying: error)
        }
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw SnapError(.unreachable, "the start command `\(command)` failed (\(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus))")
        }
    }

    /// Waits for PostgreSQL on the room's port; a container that stops meanwhile ends the wait
    /// at once. Either failure carries the container's last log lines.
    func waitForPostgres(timeout: Double, events: (RestoreEvent) -> Void) throws -> Connection {
        events(.step("waiting for PostgreSQL on \(settings.host):\(settings.pgPort)"))
        let docker = DockerEngine()
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer yet"
        while true {
            do {
                return try Connection(settings.maintenanceConnection)
            } catch let error as PGError where Self.stillStarting(error) {
                last = error.message
            }
            if let state = try? docker.state(settings.container), !state.running, let code = state.exitCode {
                throw SnapError(.unreachable, "the container \(settings.container) stopped (exit \(code)) before PostgreSQL answered on \(settings.host):\(settings.pgPort)" + logTail(docker))
            }
            if Date() >= deadline { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        throw SnapError(.unreachable, "PostgreSQL did not answer on \(settings.host):\(settings.pgPort) within \(Int(timeout)) s after the room was created (\(last))" + logTail(docker))
    }

    /// Refused, not there yet, or "the database system is starting up" (57P03).
    static func stillStarting(_ error: PGError) -> Bool {
        error.code == .connectionRefused || error.code == .connectionFailed || error.sqlState == "57P03"
    }

    private func logTail(_ docker: DockerEngine) -> String {
        guard let lines = try? docker.logs(settings.container, lines: 20) else { return "" }
        if lines.isEmpty { return "; the container \(settings.container) wrote no log lines" }
        return "; the last log lines of \(settings.container):\n" + lines.map { "    \($0)" }.joined(separator: "\n")
    }
}

import Foundation
import RoomWires

/// How a restore stops/starts the room's orchestrator.
public enum RoomControlMode: String, Sendable, CaseIterable, Codable {
    /// Docker when the host is local, the Docker socket answers and the container exists; else none.
    case auto
    case docker
    case systemd
    case none
}

/// The room's Docker engine, its failures as room-level errors (exit 69).
struct DockerEngine {
    private let client: DockerClient

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        client = DockerClient(environment: environment)
    }

    var socketPath: String { client.socketPath }

    typealias ContainerState = DockerClient.ContainerState

    var answers: Bool { client.answers }

    /// nil when the container does not exist.
    func state(_ name: String) throws -> ContainerState? {
        try Self.mapped { try client.state(name) }
    }

    func start(_ name: String) throws {
        try Self.mapped { try client.start(name) }
    }

    func restart(_ name: String) throws {
        try Self.mapped { try client.restart(name) }
    }

    func requireImage(_ image: String) throws {
        try Self.mapped { try client.requireImage(image) }
    }

    @discardableResult
    func ensureVolume(_ name: String) throws -> Bool {
        try Self.mapped { try client.ensureVolume(name) }
    }

    func create(_ spec: ContainerSpec) throws {
        try Self.mapped { try client.create(spec) }
    }

    func remove(_ name: String) throws {
        try Self.mapped { try client.remove(name) }
    }

    func logs(_ name: String, lines: Int = 20) throws -> [String] {
        try Self.mapped { try client.logs(name, lines: lines) }
    }

    private static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DockerError {
            throw SnapError(wrapping: error, error.message)
        }
    }
}

/// `systemctl restart sentient-room@<room>`, found on PATH (tests put a recording stub there).
struct SystemdUnit {
    let room: String
    var unit: String { "sentient-room@\(room)" }

    func run(_ verb: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["systemctl", verb, unit]
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw SnapError(.unreachable, "cannot run systemctl: \(error.localizedDescription)", underlying: error)
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw SnapError(.unreachable, "systemctl \(verb) \(unit) failed (exit \(process.terminationStatus)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}

/// Polls `http://host:port/ready` until it answers 200 or the time is up.
func waitForReady(host: String, port: Int, timeout: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if let response = try? MiniHTTP.request("GET", "/ready", at: .tcp(host: host, port: port), timeout: 2),
           response.status == 200 {
            return true
        }
        Thread.sleep(forTimeInterval: 0.25)
    } while Date() < deadline
    return false
}

func isLocalHost(_ host: String) -> Bool {
    host == "localhost" || host.hasPrefix("127.") || host == "::1" || host.hasPrefix("/")
}

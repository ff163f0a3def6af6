import Foundation

/// How a restore stops/starts the room's orchestrator.
public enum RoomControlMode: String, Sendable, CaseIterable, Codable {
    /// Docker when the host is local, the Docker socket answers and the container exists; else none.
    case auto
    case docker
    case systemd
    case none
}

/// The Docker Engine API over its unix socket (`DOCKER_HOST=unix://...` or /var/run/docker.sock).
struct DockerEngine {
    let socketPath: String

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let host = environment["DOCKER_HOST"], host.hasPrefix("unix://") {
            socketPath = String(host.dropFirst("unix://".count))
        } else {
            socketPath = "/var/run/docker.sock"
        }
    }

    struct ContainerState {
        var running: Bool
        var startedAt: String
    }

    var answers: Bool {
        (try? MiniHTTP.request("GET", "/_ping", at: .unix(path: socketPath), timeout: 3).status) == 200
    }

    /// nil when the container does not exist.
    func state(_ name: String) throws -> ContainerState? {
        let response = try call("GET", "/containers/\(escape(name))/json")
        if response.status == 404 { return nil }
        guard response.status == 200,
              let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let state = object["State"] as? [String: Any]
        else {
            throw SnapError(.unreachable, "Docker answered \(response.status) for container \(name): \(response.text.prefix(200))")
        }
        return ContainerState(running: state["Running"] as? Bool ?? false, startedAt: state["StartedAt"] as? String ?? "")
    }

    func start(_ name: String) throws {
        let response = try call("POST", "/containers/\(escape(name))/start")
        guard response.status == 204 || response.status == 304 else {
            throw SnapError(.unreachable, "Docker could not start container \(name) (HTTP \(response.status)): \(response.text.prefix(200))")
        }
    }

    func restart(_ name: String) throws {
        let response = try call("POST", "/containers/\(escape(name))/restart?t=10")
        guard response.status == 204 else {
            throw SnapError(.unreachable, "Docker could not restart container \(name) (HTTP \(response.status)): \(response.text.prefix(200))")
        }
    }

    private func call(_ method: String, _ path: String) throws -> MiniHTTP.Response {
        do {
            return try MiniHTTP.request(method, path, at: .unix(path: socketPath), timeout: 60)
        } catch let failure as MiniHTTP.Failure {
            throw SnapError(.unreachable, "cannot reach the Docker engine at \(socketPath): \(failure.description) — is Docker running, and may this user use it?")
        }
    }

    private func escape(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? name
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

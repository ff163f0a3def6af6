import Foundation

/// The Docker Engine API over its unix socket (`DOCKER_HOST=unix://...` or /var/run/docker.sock):
/// the calls a restore needs (inspect, start, restart) and those that create a room on a bare
/// host (DockerClient+Create.swift). No docker CLI is involved.
public struct DockerClient: Sendable {
    public let socketPath: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let host = environment["DOCKER_HOST"], host.hasPrefix("unix://") {
            socketPath = String(host.dropFirst("unix://".count))
        } else {
            socketPath = "/var/run/docker.sock"
        }
    }

    public struct ContainerState: Sendable {
        public var running: Bool
        public var startedAt: String
        /// The exit code of a container that ran and stopped; nil while it runs or before its first start.
        public var exitCode: Int? = nil
    }

    /// True when the engine answers `/_ping` with 200.
    public var answers: Bool {
        (try? MiniHTTP.request("GET", "/_ping", at: .unix(path: socketPath), timeout: 3).status) == 200
    }

    /// nil when the container does not exist.
    public func state(_ name: String) throws -> ContainerState? {
        let response = try call("GET", "/containers/\(escape(name))/json")
        if response.status == 404 { return nil }
        guard response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let state = object["State"] as? [String: Any]
        else {
            throw DockerError(.refused, "Docker answered \(response.status) for container \(name): \(Self.message(response))")
        }
        let running = state["Running"] as? Bool ?? false
        let startedAt = state["StartedAt"] as? String ?? ""
        let ran = !startedAt.isEmpty && !startedAt.hasPrefix("0001-")
        return ContainerState(
            running: running, startedAt: startedAt,
            exitCode: !running && ran ? (state["ExitCode"] as? Int) : nil)
    }

    /// Starts the container (already running is fine). A published port another container or
    /// program holds is a `.portTaken` error naming the port, and the container holding it when
    /// the engine knows one.
    public func start(_ name: String) throws {
        let response = try call("POST", "/containers/\(escape(name))/start")
        guard response.status == 204 || response.status == 304 else {
            let text = Self.message(response)
            if let port = Self.takenPort(in: text) {
                let holder = try? publisher(ofPort: port)
                throw DockerError(.portTaken, "Docker could not start container \(name): port \(port) is already taken on this host"
                    + (holder.flatMap { $0 }.map { " (container \($0) publishes it)" } ?? " (by another program or container)")
                    + " — free it or give the room other ports", port: port)
            }
            throw DockerError(.refused, "Docker could not start container \(name) (HTTP \(response.status)): \(text)")
        }
    }

    public func restart(_ name: String) throws {
        let response = try call("POST", "/containers/\(escape(name))/restart?t=10")
        guard response.status == 204 else {
            throw DockerError(.refused, "Docker could not restart container \(name) (HTTP \(response.status)): \(Self.message(response))")
        }
    }

    func call(_ method: String, _ path: String, json: Any? = nil) throws -> MiniHTTP.Response {
        var body: [UInt8] = []
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
        }
        do {
            return try MiniHTTP.request(method, path, at: .unix(path: socketPath), body: body, timeout: 60)
        } catch let failure as MiniHTTP.Failure {
            throw DockerError(.unreachable, "cannot reach the Docker engine at \(socketPath): \(failure.description) — is Docker running, and may this user use it?", underlying: failure)
        }
    }

    func escape(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? name
    }

    /// The engine's `{"message": ...}`, else the start of the body.
    static func message(_ response: MiniHTTP.Response) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
           let message = object["message"] as? String {
            return message
        }
        return String(response.text.prefix(200))
    }
}

/// A Docker Engine API failure, with the message a technician reads.
public struct DockerError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Equatable {
        /// The engine's socket does not answer.
        case unreachable
        /// The engine answered, but not with what the call needs (an error status, bad JSON).
        case refused
        /// The image to create a container from is not on this host (no registry is asked).
        case imageMissing
        /// A port the container publishes is held by another container or program (`port`).
        case portTaken
    }

    public var code: Code
    public var message: String
    /// The HTTP failure under an `.unreachable`.
    public var underlying: Error?
    /// The host port of a `.portTaken`.
    public var port: Int?

    public init(_ code: Code, _ message: String, underlying: Error? = nil, port: Int? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.port = port
    }

    public var description: String { message }
}

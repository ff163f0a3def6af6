import Foundation

/// The Docker Engine API over its unix socket (`DOCKER_HOST=unix://...` or /var/run/docker.sock):
/// the three calls a restore needs (inspect, start, restart).
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
            throw DockerError(.refused, "Docker answered \(response.status) for container \(name): \(response.text.prefix(200))")
        }
        return ContainerState(running: state["Running"] as? Bool ?? false, startedAt: state["StartedAt"] as? String ?? "")
    }

    public func start(_ name: String) throws {
        let response = try call("POST", "/containers/\(escape(name))/start")
        guard response.status == 204 || response.status == 304 else {
            throw DockerError(.refused, "Docker could not start container \(name) (HTTP \(response.status)): \(response.text.prefix(200))")
        }
    }

    public func restart(_ name: String) throws {
        let response = try call("POST", "/containers/\(escape(name))/restart?t=10")
        guard response.status == 204 else {
            throw DockerError(.refused, "Docker could not restart container \(name) (HTTP \(response.status)): \(response.text.prefix(200))")
        }
    }

    private func call(_ method: String, _ path: String) throws -> MiniHTTP.Response {
        do {
            return try MiniHTTP.request(method, path, at: .unix(path: socketPath), timeout: 60)
        } catch let failure as MiniHTTP.Failure {
            throw DockerError(.unreachable, "cannot reach the Docker engine at \(socketPath): \(failure.description) — is Docker running, and may this user use it?", underlying: failure)
        }
    }

    private func escape(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? name
    }
}

/// A Docker Engine API failure, with the message a technician reads.
public struct DockerError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Equatable {
        /// The engine's socket does not answer.
        case unreachable
        /// The engine answered, but not with what the call needs (an error status, bad JSON).
        case refused
    }

    public var code: Code
    public var message: String
    /// The HTTP failure under an `.unreachable`.
    public var underlying: Error?

    public init(_ code: Code, _ message: String, underlying: Error? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}

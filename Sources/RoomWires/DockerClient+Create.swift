import Foundation

/// How a created room container is networked: `bridge` publishes the room's ports (`-p`),
/// `host` shares the host's network (`--network host`), as the Sentient Engine's start script.
public enum DockerNetwork: String, Sendable, CaseIterable, Codable {
    case bridge
    case host
}

/// A container to create: the settings the Sentient Engine's start script passes to `docker run`.
public struct ContainerSpec: Sendable {
    public struct Port: Sendable, Equatable {
        /// The port inside the container (8080, 1883, 5432).
        public var container: Int
        /// The published port on the host.
        public var host: Int

        public init(container: Int, host: Int) {
            self.container = container
            self.host = host
        }
    }

    public var name: String
    public var image: String
    public var network: DockerNetwork
    /// Published in bridge mode; with `host` the container uses the host's ports directly.
    public var ports: [Port]
    /// `source:target` (a named volume or an absolute host path).
    public var binds: [String]
    /// Passed to the container; may hold passwords: never printed or logged.
    public var environment: [String: String]

    public init(name: String, image: String, network: DockerNetwork, ports: [Port], binds: [String], environment: [String: String]) {
        self.name = name
        self.image = image
        self.network = network
        self.ports = ports
        self.binds = binds
        self.environment = environment
    }

    /// The `/containers/create` body.
    var body: [String: Any] {
        var host: [String: Any] = ["NetworkMode": network.rawValue, "Binds": binds]
        var config: [String: Any] = ["Image": image, "HostConfig": host]
        if !environment.isEmpty {
            config["Env"] = environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }
        }
        if network == .bridge {
            config["ExposedPorts"] = Dictionary(uniqueKeysWithValues: ports.map { ("\($0.container)/tcp", [String: Any]()) })
            host["PortBindings"] = Dictionary(uniqueKeysWithValues: ports.map { ("\($0.container)/tcp", [["HostPort": String($0.host)]]) })
            config["HostConfig"] = host
        }
        return config
    }
}

extension DockerClient {
    /// - Throws: `.imageMissing` naming `docker build` and `docker load` when the image is not here.
    public func requireImage(_ image: String) throws {
        let response = try call("GET", "/images/\(escape(image))/json")
        if response.status == 404 {
            throw DockerError(.imageMissing, "the room image \(image) is not on this host: build it in the Sentient Engine checkout "
                + "(docker build -t \(image) .) or load a saved copy (docker load -i FILE), or name another with --room-image")
        }
        guard response.status == 200 else {
            throw DockerError(.refused, "Docker answered \(response.status) for image \(image): \(Self.message(response))")
        }
    }

    /// Creates the named volume unless it exists.
    /// - Returns: true when it was created.
    @discardableResult
    public func ensureVolume(_ name: String) throws -> Bool {
        let existing = try call("GET", "/volumes/\(escape(name))")
        if existing.status == 200 { return false }
        guard existing.status == 404 else {
            throw DockerError(.refused, "Docker answered \(existing.status) for volume \(name): \(Self.message(existing))")
        }
        let created = try call("POST", "/volumes/create", json: ["Name": name])
        guard created.status == 201 else {
            throw DockerError(.refused, "Docker could not create volume \(name) (HTTP \(created.status)): \(Self.message(created))")
        }
        return true
    }

    /// Creates (does not start) the container.
    /// - Throws: `.imageMissing` when the image is gone, `.refused` when the name is taken or the
    ///   engine refuses the settings. The error never contains the environment.
    public func create(_ spec: ContainerSpec) throws {
        let response = try call("POST", "/containers/create?name=\(escape(spec.name))", json: spec.body)
        switch response.status {
        case 201:
            return
        case 404:
            try requireImage(spec.image)
            throw DockerError(.refused, "Docker could not create container \(spec.name): \(Self.message(response))")
        case 409:
            throw DockerError(.refused, "Docker could not create container \(spec.name): a container of that name exists already")
        default:
            throw DockerError(.refused, "Docker could not create container \(spec.name) (HTTP \(response.status)): \(Self.message(response))")
        }
    }

    /// Removes the container, running or not; a missing one is fine. Its volumes are kept.
    public func remove(_ name: String) throws {
        let response = try call("DELETE", "/containers/\(escape(name))?force=1")
        guard response.status == 204 || response.status == 404 else {
            throw DockerError(.refused, "Docker could not remove container \(name) (HTTP \(response.status)): \(Self.message(response))")
        }
    }

    /// The container's last `lines` lines of output, stdout and stderr interleaved.
    public func logs(_ name: String, lines: Int = 20) throws -> [String] {
        let response = try call("GET", "/containers/\(escape(name))/logs?stdout=1&stderr=1&tail=\(lines)")
        guard response.status == 200 else {
            throw DockerError(.refused, "Docker could not read the logs of container \(name) (HTTP \(response.status)): \(Self.message(response))")
        }
        let text = Self.demultiplex(response.body)
        return Array(text.split(separator: "\n")
            .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
            .filter { !$0.isEmpty }.suffix(lines))
    }

    /// The name of a container publishing host port `port`, if any.
    public func publisher(ofPort port: Int) throws -> String? {
        let filters = "{\"publish\":[\"\(port)\"]}"
        let response = try call("GET", "/containers/json?filters=\(escape(filters))")
        guard response.status == 200,
              let list = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]],
              let names = list.first?["Names"] as? [String], let first = names.first
        else { return nil }
        return first.hasPrefix("/") ? String(first.dropFirst()) : first
    }

    /// Logs of a container without a TTY come as frames: a byte for the stream, three zeros, a
    /// big-endian UInt32 length, then that many bytes. Anything else is taken as plain text.
    static func demultiplex(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        var at = 0
        while at + 8 <= data.count, data[at] <= 2, data[at + 1] == 0, data[at + 2] == 0, data[at + 3] == 0 {
            let size = data[(at + 4)..<(at + 8)].reduce(0) { $0 << 8 | Int($1) }
            let end = min(data.count, at + 8 + size)
            out += data[(at + 8)..<end]
            at = end
        }
        if at == 0 { return String(decoding: data, as: UTF8.self) }
        return String(decoding: out + data[at...], as: UTF8.self)
    }

    /// The host port in an engine message about a port already in use, e.g. "Bind for
    /// 0.0.0.0:5432 failed: port is already allocated" or "listen tcp4 0.0.0.0:5432: bind:
    /// address already in use".
    static func takenPort(in message: String) -> Int? {
        guard message.contains("already allocated") || message.contains("address already in use") else { return nil }
        for pattern in [#"Bind for [^ ]*:([0-9]+) failed"#, #"listen tcp[46]? [^ ]*:([0-9]+): bind"#] {
            if let regex = try? NSRegularExpression(pattern: pattern),
               let match = regex.firstMatch(in: message, range: NSRange(message.startIndex..., in: message)),
               let range = Range(match.range(at: 1), in: message) {
                return Int(message[range])
            }
        }
        return nil
    }
}

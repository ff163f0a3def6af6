import Foundation
import PGWire
@testable import RoomWires
@testable import SentientSnap
import TestHarness
import Testing

/// A bare host for a disaster-recovery restore: an archive of room `room`, no container, no
/// volume, no config directory and no database yet. The "room image" is the busybox test
/// image whose default command stands in for the Sentient Engine: it forwards the room's
/// PostgreSQL port to the test server (database `live`), serves `/ready` on the API port and
/// says "room starting" on every start, so a restart shows in its logs.
struct BareHost {
    let room = TestDocker.uniqueRoom("dr")
    let source: RoomFixture
    let archive: String
    /// The room's database, dropped before the restore (a bare host has none).
    let liveDatabase: TestDatabase
    var live: String { liveDatabase.name }
    let pgPort: Int
    let apiPort: Int
    var container: String { "sentient-\(room)" }
    var volume: String { "sentient_\(room)_data" }
    var roomsDir: String { source.dir.path + "/new-host/rooms" }
    var configDir: String { roomsDir + "/" + room }

    init(events: Int = 120) throws {
        source = try RoomFixture(room: room, events: events, prefix: "dr_src")
        archive = try backup(source)
        liveDatabase = try TestPostgres.shared().createDatabase(prefix: "dr_live")
        try liveDatabase.drop()
        pgPort = try freeLoopbackPort()
        apiPort = try freeLoopbackPort()
    }

    /// The room image's command: a forwarder to the test server and a /ready server.
    var roomCommand: [String] {
        let server = try! TestPostgres.shared()
        return ["/bin/sh", "-c", """
            trap 'exit 0' TERM INT
            echo room starting
            mkdir -p /tmp/www && echo ok > /tmp/www/ready
            /bin/busybox httpd -f -p \(apiPort) -h /tmp/www &
            /bin/busybox nc -ll -p \(pgPort) -e /bin/busybox nc \(server.host) \(server.port) &
            wait
            """]
    }

    func request(image: String, network: DockerNetwork = .host, consent: RoomCreationConsent = .yes,
                 control: RoomControlMode = .docker) throws -> RestoreRequest {
        let server = try TestPostgres.shared()
        var flags = SettingFlags()
        flags.host = "127.0.0.1"
        flags.pgPort = pgPort
        flags.apiPort = apiPort
        flags.mqttPort = try freeLoopbackPort()
        flags.pgUser = server.superuser
        flags.pgDatabase = live
        flags.roomsDir = roomsDir
        let settings = try RoomSettings.resolve(room: room, flags: flags, environment: ["SENTIENT_ENV_DIR": "/nonexistent"])
        var request = RestoreRequest(settings: settings, archive: archive)
        request.roomControl = control
        request.readyTimeout = 30
        request.createRoom.consent = consent
        request.createRoom.image = image
        request.createRoom.network = network
        request.createRoom.environment = ["SENTIENT_ADMIN_USER": "gm", "SENTIENT_ADMIN_PASS": "s3cret-admin",
                                          "SENTIENT_OPERATOR_PASS": "s3cret-op", "UNRELATED": "x"]
        request.createRoom.postgresTimeout = 30
        return request
    }

    /// Nothing of the room on the host: no container, volume, config directory or database.
    func expectBare(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try TestDocker.state(container) == nil, "\(context): a container was made", sourceLocation: sourceLocation)
        #expect(try !TestDocker.volumeExists(volume), "\(context): a volume was made", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: configDir), "\(context): the config was written", sourceLocation: sourceLocation)
        #expect(try databases(like: live).isEmpty, "\(context): a database was made", sourceLocation: sourceLocation)
    }

    func clean() {
        TestDocker.remove(container)
        TestDocker.removeVolume(volume)
        for name in (try? databases(like: live)) ?? [] { try? TestPostgres.shared().dropDatabase(name) }
    }
}

/// Collects a restore's steps and warnings as text, to check no secret is in them.
final class EventText: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }

    func record(_ event: RestoreEvent) {
        let text: String
        switch event {
        case .step(let s), .warning(let s): text = s
        case .progress, .phase, .verifying: return
        }
        lock.lock()
        items.append(text)
        lock.unlock()
    }
}

@Suite("restore onto a bare host (Docker)", .timeLimit(.minutes(30)))
struct RoomCreationTests {
    @Test("no container, no volume: --create-room --force (host network) creates both as the start script would, restores, restarts, /ready",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func createsRoomOnBareHost() throws {
        let host = try BareHost()
        defer { host.clean() }
        let image = try TestDocker.image(command: host.roomCommand)
        defer { host.clean(); TestDocker.removeImage(image) }
        try host.expectBare("before")

        let log = EventText()
        var planned: [String] = []
        let result = try RestoreJob(try host.request(image: image), events: log.record, confirm: { plan, _ in
            planned = plan
            return true
        }).run()

        #expect(planned.contains { $0.hasPrefix("room: create container \(host.container) from image \(image) (network host") }, "\(planned)")
        #expect(planned.contains { $0.contains("passing SENTIENT_ADMIN_PASS, SENTIENT_ADMIN_USER, SENTIENT_OPERATOR_PASS") }, "\(planned)")
        for text in planned + log.all + result.warnings + result.attention {
            #expect(!text.contains("s3cret"), "a secret was shown: \(text)")
        }
        #expect(result.attention.isEmpty, "\(result.attention)")
        #expect(result.room_control == "docker")
        #expect(result.restarted)
        #expect(result.ready == true)
        #expect(result.room_created?.contains("container \(host.container)") == true)
        #expect(result.previous_database == nil)

        // The container as `docker run` in the start script makes it.
        let inspected = try #require(try TestDocker.inspect(host.container))
        let config = try #require(inspected["Config"] as? [String: Any])
        let hostConfig = try #require(inspected["HostConfig"] as? [String: Any])
        #expect(inspected["Name"] as? String == "/\(host.container)")
        #expect(config["Image"] as? String == image)
        #expect(hostConfig["NetworkMode"] as? String == "host")
        #expect(((hostConfig["PortBindings"] as? [String: Any]) ?? [:]).isEmpty)
        let env = Set(config["Env"] as? [String] ?? [])
        #expect(env.isSuperset(of: ["SENTIENT_ADMIN_USER=gm", "SENTIENT_ADMIN_PASS=s3cret-admin", "SENTIENT_OPERATOR_PASS=s3cret-op"]), "\(env)")
        #expect(!env.contains { $0.hasPrefix("UNRELATED=") || $0.hasPrefix("SENTIENT_OPERATOR_USER=") }, "\(env)")
        let mounts = (inspected["Mounts"] as? [[String: Any]] ?? []).map {
            "\($0["Type"] as? String ?? "") \($0["Name"] as? String ?? $0["Source"] as? String ?? "") \($0["Destination"] as? String ?? "")"
        }
        #expect(Set(mounts) == ["volume \(host.volume) /data", "bind \(host.configDir) /config"], "\(mounts)")
        #expect(try TestDocker.volumeExists(host.volume))

        // Restored: database and config equal the archive's source; the room was started, then restarted.
        #expect(try tableChecksums(host.liveDatabase) == tableChecksums(host.source.database))
        #expect(try treeContents(host.configDir) == treeContents(host.source.roomsDir + "/" + host.room))
        #expect(try TestDocker.state(host.container)?.running == true)
        let starts = try TestDocker.logs(host.container).components(separatedBy: "room starting").count - 1
        #expect(starts == 2, "created and started once, restarted once after the swap")
    }

    @Test("bridge network: the created container publishes API, MQTT and PostgreSQL on the room's ports (inspected, not started)",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func bridgeCreation() throws {
        let host = try BareHost(events: 1)
        defer { host.clean() }
        let image = try TestDocker.image(command: TestDocker.sleeper)
        defer { host.clean(); TestDocker.removeImage(image) }
        let request = try host.request(image: image, network: .bridge)
        let creation = RoomCreation(settings: request.settings, options: request.createRoom)
        let plan = try RestoreJob({ var dry = request; dry.dryRun = true; return dry }(), confirm: { _, _ in true }).run().plan
        #expect(plan.contains {
            $0.contains("create container \(host.container)") && $0.contains("network bridge, ports \(host.apiPort):8080, \(request.settings.mqttPort):1883, \(host.pgPort):5432")
        }, "\(plan)")
        try host.expectBare("after a dry run")

        let docker = DockerEngine()
        try docker.ensureVolume(creation.volume)
        try docker.create(creation.spec)
        let inspected = try #require(try TestDocker.inspect(host.container))
        let hostConfig = try #require(inspected["HostConfig"] as? [String: Any])
        let config = try #require(inspected["Config"] as? [String: Any])
        #expect(hostConfig["NetworkMode"] as? String == "bridge")
        let bindings = (hostConfig["PortBindings"] as? [String: [[String: String]]] ?? [:]).mapValues { $0.map { $0["HostPort"] ?? "" } }
        #expect(bindings == ["8080/tcp": [String(host.apiPort)], "1883/tcp": [String(request.settings.mqttPort)], "5432/tcp": [String(host.pgPort)]])
        #expect(Set((config["ExposedPorts"] as? [String: Any] ?? [:]).keys) == ["8080/tcp", "1883/tcp", "5432/tcp"])
        #expect(Set(hostConfig["Binds"] as? [String] ?? []) == ["\(host.volume):/data", "\(host.configDir):/config"])
        #expect(config["Image"] as? String == image)
        #expect(try TestDocker.state(host.container)?.running == false)
    }

    @Test("--start-command runs with SENTIENT_ROOM, the three ports and SENTIENT_ROOMS_DIR after the config is restored; its container is restarted",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func startCommand() throws {
        let host = try BareHost()
        defer { host.clean() }
        let image = try TestDocker.image(command: host.roomCommand)
        defer { host.clean(); TestDocker.removeImage(image) }
        let envFile = host.source.dir.path + "/start-command.env"
        var request = try host.request(image: "not-used:never", control: .auto)
        // The start script's way: `docker run` of the room, after writing what it was given.
        request.createRoom.startCommand = """
            env > '\(envFile)'; ls "$SENTIENT_ROOMS_DIR/$SENTIENT_ROOM" >> '\(envFile)' && \
            docker run -d --name "sentient-$SENTIENT_ROOM" --network host '\(image)' >/dev/null
            """
        let result = try RestoreJob(request, confirm: { plan, _ in
            #expect(plan.contains { $0.contains("run the start command") }, "\(plan)")
            return true
        }).run()
        #expect(result.attention.isEmpty, "\(result.attention)")
        #expect(result.restarted)
        #expect(result.ready == true)
        let written = try String(contentsOfFile: envFile, encoding: .utf8).split(separator: "\n").map(String.init)
        for line in ["SENTIENT_ROOM=\(host.room)", "SENTIENT_API_PORT=\(host.apiPort)", "SENTIENT_MQTT_PORT=\(request.settings.mqttPort)",
                     "SENTIENT_PG_PORT=\(host.pgPort)", "SENTIENT_ROOMS_DIR=\(host.roomsDir)", "room.yaml"] {
            #expect(written.contains(line), "\(line) missing from \(written)")
        }
        #expect(try tableChecksums(host.liveDatabase) == tableChecksums(host.source.database))
        #expect(try TestDocker.logs(host.container).components(separatedBy: "room starting").count - 1 == 2)
    }

    @Test("a created room whose container stops before PostgreSQL answers: exit 69 with its last log lines; the database untouched",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func containerStopsEarly() throws {
        let host = try BareHost(events: 5)
        defer { host.clean() }
        let image = try TestDocker.image(command: ["/bin/sh", "-c", "echo preparing /data; echo 'initdb: cannot write /data/pg: boom' >&2; exit 3"])
        defer { host.clean(); TestDocker.removeImage(image) }
        let error = #expect(throws: SnapError.self) { _ = try RestoreJob(try host.request(image: image), confirm: { _, _ in true }).run() }
        #expect(error?.code == .unreachable)
        let message = error?.message ?? ""
        #expect(message.contains("\(host.container) stopped (exit 3) before PostgreSQL answered"), "\(message)")
        // Both streams, one line each (their order across streams is the engine's).
        #expect(message.contains("\n    preparing /data\n") || message.hasSuffix("\n    preparing /data"), "\(message)")
        #expect(message.contains("\n    initdb: cannot write /data/pg: boom\n"), "\(message)")
        #expect(message.contains("The database was not touched; the config directory \(host.configDir) was restored"), "\(message)")
        #expect(try databases(like: host.live).isEmpty)
    }

    @Test("a missing room image: unreachable (exit 69) naming docker build and docker load, before anything changes",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func missingImage() throws {
        let host = try BareHost(events: 1)
        defer { host.clean() }
        let error = #expect(throws: SnapError.self) {
            _ = try RestoreJob(try host.request(image: "sentient-snap-test-missing:\(host.room)"), confirm: { _, _ in true }).run()
        }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("docker build -t sentient-snap-test-missing:\(host.room)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("docker load") == true)
        #expect(error?.message.contains("nothing was changed") == true)
        try host.expectBare("missing image")
    }

    @Test("no consent (no --create-room, no terminal): the runbook naming --create-room, nothing made",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func noConsent() throws {
        let host = try BareHost(events: 1)
        defer { host.clean() }
        let error = #expect(throws: SnapError.self) {
            _ = try RestoreJob(try host.request(image: TestDocker.image, consent: .no), confirm: { _, _ in true }).run()
        }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("\(host.container) does not exist") == true)
        #expect(error?.message.contains("--create-room") == true)
        try host.expectBare("no consent")
    }
}

@Suite("Docker API details")
struct DockerAPIDetailTests {
    @Test("log frames (stream byte, three zeros, big-endian length) are joined; a TTY's plain text is kept")
    func demultiplex() {
        let frame: (UInt8, String) -> [UInt8] = { stream, text in
            let bytes = Array(text.utf8)
            return [stream, 0, 0, 0] + withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
        }
        #expect(DockerClient.demultiplex(frame(1, "out one\n") + frame(2, "err two\n") + frame(1, "three")) == "out one\nerr two\nthree")
        #expect(DockerClient.demultiplex(Array("plain tty text\n".utf8)) == "plain tty text\n")
    }

    @Test("a port already in use is read from the engine's messages")
    func takenPort() {
        #expect(DockerClient.takenPort(in: "driver failed programming external connectivity on endpoint sentient-x (abc): Bind for 0.0.0.0:5432 failed: port is already allocated") == 5432)
        #expect(DockerClient.takenPort(in: "driver failed programming external connectivity on endpoint sentient-x (abc): Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use") == 8080)
        #expect(DockerClient.takenPort(in: "no such image") == nil)
    }
}

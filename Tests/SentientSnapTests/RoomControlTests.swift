import Foundation
import PGWire
@testable import SentientSnap
import TestHarness
import Testing

/// A room whose PostgreSQL is "published" by its Docker container: container
/// `sentient-<room>` forwards 127.0.0.1:`port` to the test server, so PostgreSQL answers on the
/// room's port exactly while the container runs, as in a venue.
struct DockerRoom {
    let room: String
    let port: Int
    var container: String { "sentient-\(room)" }

    init(started: Bool) throws {
        room = TestDocker.uniqueRoom()
        port = try freeLoopbackPort()
        let server = try TestPostgres.shared()
        try TestDocker.createContainer(
            container, command: TestDocker.forwarder(listenPort: port, targetHost: server.host, targetPort: server.port),
            start: started)
        if started { try waitForPort() }
    }

    /// Waits until the forwarder accepts connections.
    func waitForPort() throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if portAnswers() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw HarnessError("the forwarder in \(container) does not listen on 127.0.0.1:\(port)")
    }

    func portAnswers() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// A restore of `archive` into `target` for this room, over the container's port on 127.0.0.1.
    func request(_ archive: String, into target: TestDatabase, roomsDir: String, control: RoomControlMode) throws -> RestoreRequest {
        var request = try restoreRequest(archive, into: target, room: room, roomsDir: roomsDir)
        request.settings.host = "127.0.0.1"
        request.settings.pgPort = port
        request.roomControl = control
        return request
    }

    func remove() { TestDocker.remove(container) }
}

/// Collects a restore's step messages.
final class StepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    var steps: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }

    func record(_ event: RestoreEvent) {
        guard case .step(let text) = event else { return }
        lock.lock()
        items.append(text)
        lock.unlock()
    }
}

/// Whether the shared test server runs on this host (not one named by SENTIENT_TEST_PG_URL
/// elsewhere): `auto` room control only restarts rooms on this host.
private var testServerIsLocal: Bool {
    (try? TestPostgres.shared()).map { isLocalHost($0.host) } ?? false
}

/// Room control against a real Docker engine (`scripts/start-docker.sh`); skipped, saying so,
/// when none can be used.
@Suite("room control (Docker)", .timeLimit(.minutes(30)))
struct RoomControlTests {
    @Test("DockerEngine: state, start and restart through the engine API",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func engineCalls() throws {
        let name = "sentient-" + TestDocker.uniqueRoom()
        try TestDocker.createContainer(name, start: false)
        defer { TestDocker.remove(name) }
        let engine = DockerEngine()
        #expect(engine.answers)
        #expect(try engine.state(name + "-missing") == nil)

        let created = try #require(try engine.state(name))
        #expect(!created.running)
        try engine.start(name)
        let started = try #require(try engine.state(name))
        #expect(started.running)
        #expect(try TestDocker.state(name) == TestDocker.State(running: true, startedAt: started.startedAt))
        try engine.start(name)  // already running: 304, not an error

        try engine.restart(name)
        let restarted = try #require(try engine.state(name))
        #expect(restarted.running)
        #expect(restarted.startedAt != started.startedAt, "a restart gives a new StartedAt")

        try TestDocker.stop(name)
        #expect(try engine.state(name)?.running == false)
        try engine.restart(name)
        #expect(try engine.state(name)?.running == true, "restarting a stopped container starts it")

        let missing = #expect(throws: SnapError.self) { try engine.restart(name + "-missing") }
        #expect(missing?.code == .unreachable)
    }

    @Test("a restore restarts the room's running container (docker, and auto on 127.0.0.1)",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"),
          arguments: [RoomControlMode.docker, .auto])
    func restartsRunningContainer(_ control: RoomControlMode) throws {
        let docker = try DockerRoom(started: true)
        defer { docker.remove() }
        let before = try #require(try TestDocker.state(docker.container))
        #expect(before.running)
        let source = try RoomFixture(events: 300, prefix: "rc_src")
        let archive = try backup(source)
        let target = try TestPostgres.shared().createDatabase(prefix: "rc_dst")
        let request = try docker.request(archive, into: target, roomsDir: source.dir.path + "/rooms-b", control: control)
        let result = try RestoreJob(request, confirm: { plan, _ in
            #expect(plan.contains { $0.contains("restarted via docker") }, "\(plan)")
            return true
        }).run()
        #expect(result.room_control == "docker")
        #expect(result.restarted)
        #expect(result.attention.isEmpty, "\(result.attention)")
        let after = try #require(try TestDocker.state(docker.container))
        #expect(after.running)
        #expect(after.startedAt != before.startedAt, "the container was restarted")
        #expect(try target.psql("SELECT count(*) FROM events") == "300")
    }

    @Test("a stopped container is started first, PostgreSQL awaited, then the restore completes",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"),
          arguments: [RoomControlMode.docker, .auto])
    func startsStoppedContainer(_ control: RoomControlMode) throws {
        let docker = try DockerRoom(started: false)
        defer { docker.remove() }
        #expect(try TestDocker.state(docker.container)?.running == false)
        #expect(!docker.portAnswers(), "PostgreSQL must not answer while the container is stopped")
        let source = try RoomFixture(events: 200, prefix: "rc_stopped_src")
        let archive = try backup(source)
        let target = try TestPostgres.shared().createDatabase(prefix: "rc_stopped")
        let request = try docker.request(archive, into: target, roomsDir: source.dir.path + "/rooms-b", control: control)
        let log = StepLog()
        let result = try RestoreJob(request, events: log.record, confirm: { _, _ in true }).run()
        #expect(log.steps.contains("starting the stopped container \(docker.container)"), "\(log.steps)")
        #expect(result.room_control == "docker")
        #expect(result.restarted)
        #expect(try TestDocker.state(docker.container)?.running == true)
        #expect(try target.psql("SELECT count(*) FROM events") == "200")
    }

    @Test("--room-control docker without the container: the runbook, unreachable, nothing changed",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func dockerWithoutContainer() throws {
        let source = try RoomFixture(events: 50, prefix: "rc_nocont_src")
        let archive = try backup(source)
        let room = TestDocker.uniqueRoom()
        let live = try RoomFixture(room: room, events: 7, prefix: "rc_nocont")
        let before = try tableChecksums(live.database)
        let configBefore = try treeContents(live.roomsDir + "/" + room)
        var request = try restoreRequest(archive, into: live.database, room: room, roomsDir: live.roomsDir)
        request.roomControl = .docker
        let error = #expect(throws: SnapError.self) { _ = try RestoreJob(request, confirm: { _, _ in true }).run() }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("sentient-\(room) does not exist") == true, "\(String(describing: error))")
        #expect(error?.message.contains("start script") == true)
        #expect(error?.message.contains("Nothing was changed") == true)
        #expect(try tableChecksums(live.database) == before)
        #expect(try treeContents(live.roomsDir + "/" + room) == configBefore)
        #expect(try databases(like: live.database.name + "_").isEmpty)
    }

    @Test("auto on a local host, Docker up, no container, PostgreSQL silent: the runbook, nothing changed",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func autoWithoutContainerAndNoServer() throws {
        let source = try RoomFixture(events: 10, prefix: "rc_auto_down")
        let archive = try backup(source)
        var flags = SettingFlags()
        flags.host = "127.0.0.1"
        flags.pgPort = try freeLoopbackPort()
        flags.roomsDir = source.dir.path + "/elsewhere"
        let room = TestDocker.uniqueRoom()
        let settings = try RoomSettings.resolve(room: room, flags: flags, environment: [:])
        var request = RestoreRequest(settings: settings, archive: archive)
        request.waitForReady = false
        #expect(request.roomControl == .auto)
        let error = #expect(throws: SnapError.self) { _ = try RestoreJob(request, confirm: { _, _ in true }).run() }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("PostgreSQL does not answer on 127.0.0.1:\(flags.pgPort!)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("sentient-\(room) does not exist") == true)
        #expect(error?.message.contains("start script") == true)
        #expect(!FileManager.default.fileExists(atPath: source.dir.path + "/elsewhere"))
    }

    @Test("auto on a local host, Docker up, no container, PostgreSQL answering: restored, not restarted, with a warning",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"),
          .enabled(if: testServerIsLocal, "needs the test PostgreSQL on this host (auto only restarts local rooms)"))
    func autoWithoutContainer() throws {
        let source = try RoomFixture(events: 20, prefix: "rc_auto_none_src")
        let archive = try backup(source)
        let target = try TestPostgres.shared().createDatabase(prefix: "rc_auto_none")
        var request = try restoreRequest(archive, into: target, room: TestDocker.uniqueRoom(), roomsDir: source.dir.path + "/rooms-b")
        request.roomControl = .auto
        try #require(isLocalHost(request.settings.host))
        let result = try RestoreJob(request, confirm: { _, _ in true }).run()
        #expect(result.room_control == "none")
        #expect(!result.restarted)
        #expect(result.warnings.contains { $0.contains("has no container") }, "\(result.warnings)")
        #expect(try target.psql("SELECT count(*) FROM events") == "20")
    }
}

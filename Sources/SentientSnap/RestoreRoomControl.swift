import Foundation
import PGWire

// Restore step 2: which room control applies, and a PostgreSQL that answers (starting a
// stopped room container when Docker runs the room).

extension RestoreJob {
    /// `auto`: Docker when the host is local, the Docker socket answers and the container
    /// exists; otherwise none. `docker`: the container must exist (else the runbook, exit 69).
    func resolveRoomControl() throws -> RoomControlMode {
        let settings = request.settings
        switch request.roomControl {
        case .auto:
            guard isLocalHost(settings.host) else { return .none }
            let docker = DockerEngine()
            guard docker.answers else { return .none }
            // A container we cannot inspect counts as absent for `auto` (it falls back to none).
            guard (try? docker.state(settings.container)) != nil else {
                if let creation = try planCreation(explicit: false) {
                    self.creation = creation
                    return .docker
                }
                autoFoundNoContainer = true
                warn("room control auto: Docker answers here but has no container \(settings.container); the room will not be restarted")
                return .none
            }
            return .docker
        case .docker:
            let docker = DockerEngine()
            guard try docker.state(settings.container) != nil else {
                if let creation = try planCreation(explicit: true) {
                    self.creation = creation
                    return .docker
                }
                throw SnapError(.unreachable, Self.runbook(settings) + "\nNothing was changed.")
            }
            return .docker
        case .systemd, .none:
            return request.roomControl
        }
    }

    /// Connects to the maintenance database. When PostgreSQL does not answer and the room runs
    /// in Docker, starts its container if it is stopped and waits for PostgreSQL (DESIGN.md
    /// "Restore flow" step 2).
    /// - Throws: `SnapError(.unreachable)` with the runbook when `auto` found Docker but no
    ///   container; `SnapError(.unreachable)` when PostgreSQL does not come up after a start;
    ///   else the `PGError` of the connection.
    /// `beforeStart` runs before a stopped container is started (the one pass verifies the whole
    /// archive there, so a damaged archive leaves a stopped room stopped, as before).
    func connectMaintenance(control: RoomControlMode, beforeStart: () throws -> Void = {}) throws -> Connection {
        let settings = request.settings
        do {
            return try Connection(settings.maintenanceConnection)
        } catch let error as PGError where error.code == .connectionRefused || error.code == .connectionFailed {
            if control == .none && autoFoundNoContainer {
                throw SnapError(.unreachable, "PostgreSQL does not answer on \(settings.host):\(settings.pgPort), and "
                    + Self.runbook(settings) + "\nNothing was changed.")
            }
            guard control == .docker else { throw error }
            let docker = DockerEngine()
            guard let state = try docker.state(settings.container) else {
                throw SnapError(.unreachable, Self.runbook(settings) + "\nNothing was changed.")
            }
            if !state.running {
                try beforeStart()
                events(.step("starting the stopped container \(settings.container)"))
                try docker.start(settings.container)
            }
            let wait = max(request.readyTimeout, 30)
            events(.step("waiting for PostgreSQL on \(settings.host):\(settings.pgPort)"))
            let deadline = Date().addingTimeInterval(wait)
            while Date() < deadline {
                if let connection = try? Connection(settings.maintenanceConnection) { return connection }
                Thread.sleep(forTimeInterval: 0.5)
            }
            throw SnapError(.unreachable, "PostgreSQL did not answer on \(settings.host):\(settings.pgPort) within \(Int(wait)) s"
                + (state.running ? "" : " after starting the container \(settings.container)")
                + " (\(error.message)) — check `docker logs \(settings.container)`; nothing was changed")
        }
    }

    /// Why a Docker room cannot be restored into, and what to do (the recovery runbook).
    static func runbook(_ settings: RoomSettings) -> String {
        """
        the room's container \(settings.container) does not exist, so the restore can neither start nor restart the room.
        Recovery: run this restore again with --create-room (add --force without a terminal; --room-image,
        --room-network and --start-command say how), or start the room once with the Sentient Engine's start script
        (it creates the container and an empty database) and run this restore again. If this room does not run in
        Docker, pass --room-control systemd or none.
        """
    }

    /// The creation of the missing container, when the request allows one and the host is bare:
    /// local, and nothing answering on the room's PostgreSQL port. nil: the caller's old way.
    /// - Throws: `SnapError(.unreachable)` when `--room-control docker` must create but the port
    ///   answers, or the image is missing (`docker build` / `docker load`); nothing is changed.
    func planCreation(explicit: Bool) throws -> RoomCreation? {
        let settings = request.settings
        guard request.createRoom.consent != .no, isLocalHost(settings.host), !settings.host.hasPrefix("/") else { return nil }
        if Self.postgresAnswers(settings) {
            let why = "the room's container \(settings.container) does not exist, but PostgreSQL answers on \(settings.host):\(settings.pgPort)"
                + ": something else serves that port, so a new container would collide with it"
            guard explicit else {
                if request.createRoom.consent == .yes { warn(why + "; the room is not created") }
                return nil
            }
            throw SnapError(.unreachable, why + ". Stop it or give the room its own ports, or pass --room-control systemd or none. Nothing was changed.")
        }
        let creation = RoomCreation(settings: settings, options: request.createRoom)
        if request.createRoom.startCommand == nil {
            do {
                try DockerEngine().requireImage(request.createRoom.image)
            } catch let error as SnapError {
                // Only offered (no --create-room): the old way, saying why no creation is offered.
                guard request.createRoom.consent == .yes else {
                    warn("the room cannot be created here: \(error.message)")
                    return nil
                }
                throw SnapError(error.code, error.message + "; nothing was changed", underlying: error.underlying)
            }
        }
        return creation
    }

    static func postgresAnswers(_ settings: RoomSettings) -> Bool {
        do {
            _ = try Connection(settings.maintenanceConnection)
            return true
        } catch let error as PGError {
            return !RoomCreation.stillStarting(error)
        } catch {
            return true
        }
    }
}

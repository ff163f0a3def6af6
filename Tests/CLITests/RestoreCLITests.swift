import Foundation
import PGWire
import TestHarness
import Testing

/// A CLI room with a backup taken, then changed: 5 more events and a local config file, so a
/// restore is visible and "nothing changed" is checkable.
struct RestoreCLIRoom {
    let room: CLIRoom
    let archive: String
    var marker: String { room.rooms + "/pharaohs/local-change.txt" }

    /// - Parameter backupArgs: more flags for the backup (`--sign-key`).
    init(backupArgs: [String] = []) throws {
        room = try CLIRoom()
        let backup = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags() + backupArgs)
        guard backup.status == 0,
              let object = try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any],
              let archive = object["archive"] as? String
        else { throw HarnessError("backup for the restore test failed: \(backup)") }
        self.archive = archive
        try room.database.psql("INSERT INTO events (ts, level, event, room_id) SELECT now(), 'info', 'after', 'pharaohs' FROM generate_series(1, 5)")
        try "changed after the backup\n".write(toFile: marker, atomically: true, encoding: .utf8)
    }

    /// `restore <room> <archive>` with this room's flags, no room control, no /ready wait.
    func restoreArgs(room name: String = "pharaohs", _ extra: [String] = []) -> [String] {
        ["restore", name, archive, "--allow-root", "--room-control", "none", "--no-wait"] + room.flags() + extra
    }

    func events() throws -> String { try room.database.psql("SELECT count(*) FROM events") }

    /// Databases named after the room's that a restore makes (staging, pre-restore).
    func restoreDatabases() throws -> [String] {
        try room.database.server.admin {
            try $0.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [room.database.name + "_"]).rows.compactMap { $0[0] }
        }
    }

    /// Asserts that the database and the config directory are as they were before the restore.
    func expectUnchanged(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try events() == "15", "\(context): the database changed", sourceLocation: sourceLocation)
        #expect(FileManager.default.fileExists(atPath: marker), "\(context): the config directory changed", sourceLocation: sourceLocation)
        #expect(try restoreDatabases().isEmpty, "\(context): a staging or pre-restore database was left", sourceLocation: sourceLocation)
    }
}

/// A restore room with a stub `systemctl` first on PATH: it records its arguments and exits
/// with SYSTEMCTL_STUB_STATUS (0 when unset).
struct SystemctlStub {
    let fixture: RestoreCLIRoom
    let log: String
    /// PATH with the stub first.
    let path: String
    /// `restore --force --room-control systemd` of the fixture's room.
    var args: [String] { fixture.restoreArgs(["--force"]).map { $0 == "none" ? "systemd" : $0 } }

    init() throws {
        fixture = try RestoreCLIRoom()
        let bin = fixture.room.dir.path + "/stub-bin"
        log = fixture.room.dir.path + "/systemctl.log"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try writeExecutable("""
            #!/bin/sh
            # Stub systemctl for the tests: records its arguments, exits with SYSTEMCTL_STUB_STATUS.
            printf '%s\\n' "$*" >> '\(log)'
            [ "${SYSTEMCTL_STUB_STATUS:-0}" = 0 ] || echo "Failed to restart $2: Unit $2.service not found." >&2
            exit "${SYSTEMCTL_STUB_STATUS:-0}"
            """, to: bin + "/systemctl")
        path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    /// What the stub was called with, one line a call.
    func calls() throws -> String { try String(contentsOfFile: log, encoding: .utf8) }
}

/// The environment `snap` uses, for runs that do not go through it.
let snapEnvironment = ["PGPASSFILE": TestPostgres.noPassfile, "PGCONNECT_TIMEOUT": "5"]

@Suite("restore command line", .timeLimit(.minutes(30)))
struct RestoreCLITests {
    @Test("on a terminal: 'n' cancels (exit 1) and changes nothing; 'y' restores")
    func promptAnswers() throws {
        let fixture = try RestoreCLIRoom()
        let binary = try productPath("sentient-snap")
        let no = try runInTerminal(binary, fixture.restoreArgs(), environment: snapEnvironment, answer: "n\n")
        #expect(no.status == 1, "\(no)")
        #expect(no.stdout.contains("This restore will:"), "\(no)")
        #expect(no.stdout.contains("Proceed? [y/N]"), "\(no)")
        #expect(no.stdout.contains("restore cancelled; nothing was changed"), "\(no)")
        try fixture.expectUnchanged("after 'n'")

        let yes = try runInTerminal(binary, fixture.restoreArgs(), environment: snapEnvironment, answer: "y\n")
        #expect(yes.status == 0, "\(yes)")
        #expect(yes.stdout.contains("Restored room pharaohs"), "\(yes)")
        #expect(try fixture.events() == "10", "the database is the archive's again")
        #expect(!FileManager.default.fileExists(atPath: fixture.marker), "the config directory is the archive's again")
        let kept = try FileManager.default.contentsOfDirectory(atPath: fixture.room.rooms).filter { $0.hasPrefix("pharaohs.pre-restore.") }
        #expect(kept.count == 1, "\(kept)")
    }

    @Test("restoring another room's archive: the mismatch warning comes before the question")
    func mismatchWarning() throws {
        let fixture = try RestoreCLIRoom()
        try fixture.room.writeEnv("# tomb\n", room: "tomb")
        let result = try runInTerminal(
            try productPath("sentient-snap"), fixture.restoreArgs(room: "tomb"), environment: snapEnvironment, answer: "n\n")
        #expect(result.status == 1, "\(result)")
        let warning = try #require(result.stdout.range(of: "warning: the archive belongs to room 'pharaohs', not 'tomb'"), "\(result)")
        let question = try #require(result.stdout.range(of: "Proceed?"), "\(result)")
        #expect(warning.upperBound <= question.lowerBound)
        try fixture.expectUnchanged("after the mismatch")
        #expect(!FileManager.default.fileExists(atPath: fixture.room.rooms + "/tomb"))
    }

    @Test("stdin not a terminal and no --force: refused with a hint (exit 64), nothing changed")
    func noTerminalNoForce() throws {
        let fixture = try RestoreCLIRoom()
        let result = try snap(fixture.restoreArgs())
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("--force"), "\(result)")
        try fixture.expectUnchanged("without a terminal")
    }

    @Test("--room-control systemd runs `systemctl restart sentient-room@<room>` (a stub on PATH)")
    func systemdStub() throws {
        let stub = try SystemctlStub()
        let result = try snap(stub.args, environment: ["PATH": stub.path])
        #expect(result.status == 0, "\(result)")
        #expect(try stub.calls() == "restart sentient-room@pharaohs\n")
        #expect(result.stdout.contains("restarted via systemd"), "\(result)")
        #expect(try stub.fixture.events() == "10")
    }

    @Test("--room-control systemd, systemctl fails: the data stays restored, the command says so and exits 75")
    func systemdStubFails() throws {
        // A room of its own: a second restore of one room within the same second would collide
        // on <db>_pre_restore_<ts> (the names carry a one-second timestamp).
        let stub = try SystemctlStub()
        let failing = try snap(stub.args, environment: ["PATH": stub.path, "SYSTEMCTL_STUB_STATUS": "5"])
        #expect(failing.status == 75, "\(failing)")
        #expect(failing.stderr.contains("could not be restarted"), "\(failing)")
        #expect(failing.stderr.contains("Unit sentient-room@pharaohs.service not found"), "\(failing)")
        #expect(try stub.calls() == "restart sentient-room@pharaohs\n")
        #expect(try stub.fixture.events() == "10")
    }

    @Test("--room-control docker without the room's container: exit 69, the runbook, nothing changed",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func dockerWithoutContainer() throws {
        let fixture = try RestoreCLIRoom()
        let room = TestDocker.uniqueRoom("cli")
        try FileManager.default.copyItem(atPath: fixture.room.rooms + "/pharaohs", toPath: fixture.room.rooms + "/" + room)
        try fixture.room.writeEnv("", room: room)
        let args = fixture.restoreArgs(room: room, ["--force"]).map { $0 == "none" ? "docker" : $0 }
        let result = try snap(args)
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("sentient-\(room) does not exist"), "\(result)")
        #expect(result.stderr.contains("start script"), "\(result)")
        #expect(result.stderr.contains("Nothing was changed"), "\(result)")
        #expect(result.stderr.contains("--create-room"), "\(result)")
        try fixture.expectUnchanged("docker without a container")
        #expect(FileManager.default.fileExists(atPath: fixture.room.rooms + "/\(room)/local-change.txt"))
        #expect(try TestDocker.state("sentient-\(room)") == nil)
        #expect(try !TestDocker.volumeExists("sentient_\(room)_data"))
    }

    @Test("on a terminal, no container: the plan offers to create it (no --create-room needed); 'n' makes nothing",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func terminalOffersCreation() throws {
        let fixture = try RestoreCLIRoom()
        let room = TestDocker.uniqueRoom("cli")
        try FileManager.default.copyItem(atPath: fixture.room.rooms + "/pharaohs", toPath: fixture.room.rooms + "/" + room)
        try fixture.room.writeEnv("", room: room)
        let args = fixture.restoreArgs(room: room, ["--pg-port", String(try freeLoopbackPort()), "--room-network", "host"])
            .map { $0 == "none" ? "docker" : $0 }
        let result = try runInTerminal(try productPath("sentient-snap"), args,
                                       environment: snapEnvironment.merging(["SENTIENT_ROOM_IMAGE": TestDocker.image]) { $1 }, answer: "n\n")
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("create container sentient-\(room) from image \(TestDocker.image) (network host, volume sentient_\(room)_data at /data"), "\(result)")
        #expect(result.stdout.contains("restore cancelled; nothing was changed"), "\(result)")
        try fixture.expectUnchanged("after 'n'")
        #expect(try TestDocker.state("sentient-\(room)") == nil)
        #expect(try !TestDocker.volumeExists("sentient_\(room)_data"))
    }

    @Test("--create-room --force with a room image this host lacks: exit 69 naming docker build and docker load, nothing changed",
          .enabled(if: TestDocker.isReady, "needs a Docker engine: scripts/start-docker.sh"))
    func createRoomWithoutImage() throws {
        let fixture = try RestoreCLIRoom()
        let room = TestDocker.uniqueRoom("cli")
        try FileManager.default.copyItem(atPath: fixture.room.rooms + "/pharaohs", toPath: fixture.room.rooms + "/" + room)
        try fixture.room.writeEnv("", room: room)
        // PostgreSQL answers on the fixture's port only if a room serves it: give the room a silent one.
        let args = fixture.restoreArgs(room: room, ["--force", "--create-room", "--pg-port", String(try freeLoopbackPort())])
            .map { $0 == "none" ? "docker" : $0 }
        let result = try snap(args, environment: ["SENTIENT_ROOM_IMAGE": "sentient-snap-test-missing:\(room)"])
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("the room image sentient-snap-test-missing:\(room) is not on this host"), "\(result)")
        #expect(result.stderr.contains("docker build") && result.stderr.contains("docker load"), "\(result)")
        #expect(result.stderr.contains("nothing was changed"), "\(result)")
        try fixture.expectUnchanged("missing room image")
        #expect(try TestDocker.state("sentient-\(room)") == nil)
        #expect(try !TestDocker.volumeExists("sentient_\(room)_data"))
    }
}

extension RestoreCLITests {
    /// The shape of earthdistance's documented ll_to_earth index: a SQL function that calls
    /// another by its bare name, inlined into an expression index, cannot be built under the
    /// empty search_path a restore runs with (stock pg_restore reports the same error).
    @Test("an index the target cannot build stops the restore (nothing changed); --allow-index-failures restores without it, names it and exits 75")
    func indexFailures() throws {
        let room = try CLIRoom()
        try room.database.psql("""
            CREATE FUNCTION room_offset() RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 1000';
            CREATE FUNCTION shifted(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT $1 + room_offset()';
            CREATE TABLE scores (id int PRIMARY KEY, points bigint);
            INSERT INTO scores SELECT g, g * 10 FROM generate_series(1, 3) g;
            CREATE INDEX scores_shifted ON scores (shifted(points));
            COMMENT ON INDEX scores_shifted IS 'needs room_offset() on the search path';
            CREATE INDEX scores_points ON scores (points);
            """)
        let backup = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags())
        try #require(backup.status == 0, "\(backup)")
        let object = try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any]
        let archive = try #require(object?["archive"] as? String, "\(backup)")
        try room.database.psql("INSERT INTO events (ts, level, event, room_id) SELECT now(), 'info', 'after', 'pharaohs' FROM generate_series(1, 5)")
        let args = ["restore", "pharaohs", archive, "--allow-root", "--force", "--room-control", "none", "--no-wait", "--no-mqtt", "--no-config"] + room.flags()

        let stopped = try snap(args)
        #expect(stopped.status == 1, "\(stopped)")
        #expect(stopped.stderr.contains("INDEX scores_shifted"), "\(stopped)")
        #expect(stopped.stderr.contains("nothing was changed"), "\(stopped)")
        #expect(try room.database.psql("SELECT count(*) FROM events") == "15", "the database is unchanged")

        let allowed = try snap(args + ["--allow-index-failures", "--json"])
        #expect(allowed.status == 75, "\(allowed)")
        #expect(allowed.stderr.contains("attention: index public.scores_shifted"), "\(allowed)")
        #expect(allowed.stderr.contains("room_offset() does not exist"), "\(allowed)")
        #expect(allowed.stderr.contains("COMMENT INDEX scores_shifted in schema public"), "\(allowed)")
        #expect(try room.database.psql("SELECT count(*) FROM events") == "10", "the archive's rows are restored")
        #expect(try room.database.psql("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'scores'") == "scores_pkey,scores_points")
        #expect(try room.database.psql("SELECT count(*) FROM scores") == "3")
        let result = try JSONSerialization.jsonObject(with: Data(allowed.stdout.utf8)) as? [String: Any]
        let attention = result?["attention"] as? [String] ?? []
        #expect(attention.first?.hasPrefix("index public.scores_shifted: ") == true, "\(attention)")
    }

    @Test("restore --json says how each table's rows went: binary COPY by default, the archive's COPY text with --text-copy")
    func copyFormats() throws {
        let fixture = try RestoreCLIRoom()
        func copy(_ extra: [String]) throws -> [String: Int] {
            let run = try snap(fixture.restoreArgs(["--force", "--json", "--no-mqtt", "--no-config"] + extra))
            try #require(run.status == 0, "\(run)")
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            #expect(object?["rows_restored"] as? Int == 10, "\(run.stdout)")
            let tables = try #require(object?["copy"] as? [String: [String: Int]], "\(run.stdout)")
            return try #require(tables["public.events"], "\(tables)")
        }
        let binary = try copy([])
        #expect(binary["binary_chunks"] ?? 0 >= 1 && binary["text_chunks"] == 0, "\(binary)")
        #expect(binary["copy_statements"] ?? 0 >= 1, "\(binary)")
        #expect(try fixture.events() == "10")
        let text = try copy(["--text-copy"])
        #expect(text["binary_chunks"] == 0 && text["text_chunks"] ?? 0 >= 1, "\(text)")
        #expect(try fixture.events() == "10")
    }

    @Test("--in-place: the plan says it is not atomic; --in-place with --no-db is a usage error")
    func inPlaceFlag() throws {
        let fixture = try RestoreCLIRoom()
        let plan = try snap(fixture.restoreArgs(["--in-place", "--dry-run"]))
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("restore IN PLACE into \(fixture.room.database.name)"), "\(plan)")
        #expect(plan.stdout.contains("NOT atomic"), "\(plan)")
        try fixture.expectUnchanged("after --in-place --dry-run")
        let both = try snap(fixture.restoreArgs(["--in-place", "--no-db"]))
        #expect(both.status == 64, "\(both)")
        #expect(both.stderr.contains("--in-place"), "\(both)")
    }
}

import Foundation
import PGWire
import TestHarness
import Testing

/// Runs the built `sentient-snap` binary, as a venue's cron job would.
func snap(_ args: [String], environment: [String: String] = [:]) throws -> ToolResult {
    var env = ["PGPASSFILE": TestPostgres.noPassfile, "PGCONNECT_TIMEOUT": "5"]
    env.merge(environment) { $1 }
    return try runProcess(try productPath("sentient-snap"), args, environment: env, timeout: 300)
}

/// A database with the event store, a rooms dir, an env dir and an empty output dir.
struct CLIRoom {
    let database: TestDatabase
    let dir: TempDir
    var output: String { dir.path + "/out" }
    var rooms: String { dir.path + "/rooms" }
    var env: String { dir.path + "/env" }

    init() throws {
        database = try TestPostgres.shared().createDatabase(prefix: "cli")
        try database.psql(String(contentsOfFile: fixturePath("event-store.sql"), encoding: .utf8))
        try database.psql("INSERT INTO events (ts, level, event, room_id) SELECT now(), 'info', 'x', 'pharaohs' FROM generate_series(1, 10)")
        dir = try TempDir(prefix: "snap-cli")
        for sub in ["out", "rooms", "env"] {
            try FileManager.default.createDirectory(atPath: dir.path + "/" + sub, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: fixturePath("rooms/pharaohs"), toPath: rooms + "/pharaohs")
        try writeEnv("# written by the test\n")
    }

    /// The flags that point a backup at this room.
    func flags(room: String = "pharaohs") -> [String] {
        ["--host", database.settings.host!, "--pg-port", String(database.settings.port!),
         "--pg-user", database.settings.user!, "--pg-database", database.name,
         "--rooms-dir", rooms, "--env-dir", env]
    }

    func writeEnv(_ text: String, room: String = "pharaohs", mode: Int = 0o600) throws {
        let path = env + "/\(room).env"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func outputIsEmpty() throws -> Bool {
        try FileManager.default.contentsOfDirectory(atPath: output).isEmpty
    }
}

@Suite("backup command line", .timeLimit(.minutes(30)))
struct BackupCLITests {
    @Test("a backup succeeds and --json prints one object naming the archive")
    func jsonSummary() throws {
        let room = try CLIRoom()
        try room.writeEnv("# pharaohs\nSENTIENT_API_PORT=8080\n")
        let result = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags())
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let archive = object?["archive"] as? String ?? ""
        #expect(FileManager.default.fileExists(atPath: archive))
        #expect(object?["total_rows"] as? Int == 10)
        #expect((object?["sha256"] as? String)?.count == 64)
    }

    @Test("bad input: one clear message, the documented exit status, nothing left behind",
          arguments: [
            ("bad room name", ["backup", "../etc", "OUT"], 64, "invalid room name"),
            ("port out of range", ["backup", "pharaohs", "OUT", "--pg-port", "70000"], 64, "--pg-port"),
            ("compress level", ["backup", "pharaohs", "OUT", "--compress-level", "12"], 64, "--compress-level"),
          ])
    func usageErrors(_ name: String, _ args: [String], _ status: Int32, _ phrase: String) throws {
        let room = try CLIRoom()
        let result = try snap(args.map { $0 == "OUT" ? room.output : $0 } + ["--allow-root"])
        #expect(result.status == status, "\(name): \(result.stderr)")
        #expect(result.stderr.contains(phrase), "\(name): \(result.stderr)")
        #expect(try room.outputIsEmpty())
    }

    @Test("root is refused without --allow-root (exit 77)")
    func refusesRoot() throws {
        guard geteuid() == 0 else { return }
        let room = try CLIRoom()
        let result = try snap(["backup", "pharaohs", room.output] + room.flags())
        #expect(result.status == 77)
        #expect(result.stderr.contains("--allow-root"))
        #expect(try room.outputIsEmpty())
    }

    @Test("missing or unusable output directory: exit 73 before connecting")
    func outputDirectory() throws {
        let room = try CLIRoom()
        // The port is closed: if the tool connected first, it would fail with 69 instead.
        let closed = ["--pg-port", String(try freeLoopbackPort())]
        let missing = try snap(["backup", "pharaohs", room.output + "/nope", "--allow-root"] + room.flags() + closed)
        #expect(missing.status == 73, "\(missing.stderr)")
        #expect(missing.stderr.contains("does not exist"))
        let file = room.dir.path + "/a-file"
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        let notDir = try snap(["backup", "pharaohs", file, "--allow-root"] + room.flags() + closed)
        #expect(notDir.status == 73, "\(notDir.stderr)")
    }

    @Test("an output directory the user cannot write: exit 73")
    func unwritableOutput() throws {
        guard geteuid() == 0 else { return }
        let room = try CLIRoom()
        // Run as the unprivileged postgres user: root could write anywhere.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: room.dir.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: room.output)
        try room.writeEnv("# readable by the backup user\n", mode: 0o644)
        let binary = try productPath("sentient-snap")
        let result = try runProcess("runuser", ["-u", "postgres", "--", binary, "backup", "pharaohs", room.output, "--no-config"] + room.flags())
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("not writable"))
        #expect(try room.outputIsEmpty())
    }

    @Test("wrong port (69), unknown database (66), wrong password (77), missing rooms dir (66)")
    func connectionFailures() throws {
        let room = try CLIRoom()
        let port = try freeLoopbackPort()
        let refused = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags() + ["--pg-port", String(port)])
        #expect(refused.status == 69, "\(refused.stderr)")
        #expect(refused.stderr.contains("127.0.0.1:\(port)"))
        #expect(refused.stderr.contains("--pg-port or SENTIENT_PG_PORT"))

        let noDatabase = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags() + ["--pg-database", "no_such_room_db"])
        #expect(noDatabase.status == 66, "\(noDatabase.stderr)")
        #expect(noDatabase.stderr.contains("no_such_room_db"))

        let server = try TestPostgres.shared()
        try server.ensurePasswordRole(name: "snap_pw_user", password: "correct horse")
        try room.writeEnv("SENTIENT_PG_PASSWORD=wrong-battery-staple\n")
        let badPassword = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags() + ["--pg-user", "snap_pw_user"])
        #expect(badPassword.status == 77, "\(badPassword.stderr)")
        #expect(badPassword.stderr.contains("snap_pw_user"))
        #expect(badPassword.stderr.contains("SENTIENT_PG_PASSWORD"))
        #expect(!badPassword.stderr.contains("wrong-battery-staple"), "the password must never be printed")

        try room.writeEnv("")
        let noRooms = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags() + ["--rooms-dir", room.dir.path + "/nowhere"])
        #expect(noRooms.status == 66, "\(noRooms.stderr)")
        #expect(noRooms.stderr.contains("--no-config"))
        #expect(try room.outputIsEmpty())
    }

    @Test("env files are parsed, never executed; bad values are named with their file")
    func envFiles() throws {
        let room = try CLIRoom()
        let marker = room.dir.path + "/pwned"
        try room.writeEnv("SENTIENT_MQTT_USER=$(touch \(marker))\nSENTIENT_API_PORT=`touch \(marker)`\n")
        let result = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags())
        #expect(!FileManager.default.fileExists(atPath: marker), "shell code in an env file ran")
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("SENTIENT_API_PORT in \(room.env)/pharaohs.env"))

        try room.writeEnv("SENTIENT_PG_PORT=abc\n")
        let badPort = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags().filter { $0 != "--pg-port" && Int($0) == nil })
        #expect(badPort.status == 64, "\(badPort.stderr)")
        #expect(badPort.stderr.contains("'abc'"))

        let missingEnv = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags() + ["--env-dir", room.dir.path + "/noenv"])
        #expect(missingEnv.status == 66, "\(missingEnv.stderr)")
        #expect(try room.outputIsEmpty())
    }

    @Test("help shows examples and exit statuses; --version prints the version")
    func help() throws {
        let help = try snap(["backup", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("EXAMPLES"))
        #expect(help.stdout.contains("EXIT STATUS"))
        #expect(help.stdout.contains("--pg-port"))
        let top = try snap(["--help"])
        #expect(top.stdout.contains("backup"))
        let version = try snap(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.range(of: "^[0-9]+\\.[0-9]+\\.[0-9]+", options: .regularExpression) != nil)
    }
}

import Foundation
import PGWire
import TestHarness
import Testing

/// Hints as sentient-snap will set them, so each test can check the message points at the fix.
private func roomHints() -> ConnectionSettings.Hints {
    var hints = ConnectionSettings.Hints()
    hints.host = "--host or SENTIENT_HOST in /etc/sentient/testroom.env"
    hints.port = "--pg-port or SENTIENT_PG_PORT in /etc/sentient/testroom.env"
    hints.user = "--pg-user or SENTIENT_PG_USER in /etc/sentient/testroom.env"
    hints.database = "--pg-database or SENTIENT_PG_DATABASE in /etc/sentient/testroom.env"
    hints.password = "SENTIENT_PG_PASSWORD in /etc/sentient/testroom.env"
    return hints
}

@Suite("Connection failures", .timeLimit(.minutes(30)))
struct ConnectErrorTests {
    @Test func nothingListeningIsConnectionRefused() throws {
        let port = try freeLoopbackPort()
        var settings = ConnectionSettings(host: "127.0.0.1", port: port, user: "nobody", database: "nothing")
        settings.hints = roomHints()
        settings.extra["passfile"] = TestPostgres.noPassfile
        let started = Date()
        let error = pgError { _ = try Connection(settings) }
        #expect(error?.code == .connectionRefused)
        #expect(error?.endpoint == "127.0.0.1:\(port)")
        #expect(error?.message.contains("127.0.0.1:\(port)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(settings.hints.port) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(settings.hints.host) == true, "\(error?.message ?? "")")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func wrongPasswordIsAuthenticationFailed() throws {
        let server = try TestPostgres.shared()
        let secret = "right-\(UUID().uuidString)"
        try server.ensurePasswordRole(name: "snap_pw_user", password: secret)
        var settings = server.adminSettings
        settings.user = "snap_pw_user"
        settings.password = "wrong-password-\(UUID().uuidString)"
        settings.hints = roomHints()
        let error = pgError { _ = try Connection(settings) }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.sqlState == "28P01")
        #expect(error?.message.contains("snap_pw_user") == true)
        #expect(error?.message.contains(settings.hints.password) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\(server.host):\(server.port)") == true)
        // Never the password, the right one or the wrong one.
        #expect(error?.message.contains(settings.password!) == false)
        #expect(error?.description.contains(secret) == false)
    }

    @Test func missingPasswordIsAuthenticationFailed() throws {
        let server = try TestPostgres.shared()
        try server.ensurePasswordRole(name: "pw_snap_nopass", password: "secret-\(UUID().uuidString)")
        var settings = server.adminSettings
        settings.user = "pw_snap_nopass"
        settings.password = nil
        settings.extra["passfile"] = TestPostgres.noPassfile
        settings.hints = roomHints()
        let error = pgError { _ = try Connection(settings) }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.message.contains(settings.hints.password) == true, "\(error?.message ?? "")")
    }

    @Test func rightPasswordFromSettingsConnects() throws {
        let server = try TestPostgres.shared()
        let secret = "pa ss'wörd-\(UUID().uuidString)"
        try server.ensurePasswordRole(name: "pw_snap_settings", password: secret)
        var settings = server.adminSettings
        settings.user = "pw_snap_settings"
        settings.password = secret
        let connection = try Connection(settings)
        #expect(try connection.query("SELECT current_user").first?[0] == "pw_snap_settings")
        // The wrong-password and missing-password tests show the role really needs one.
    }

    @Test func passwordFromPassfileConnects() throws {
        // libpq's passfile (~/.pgpass, PGPASSFILE) is how a venue keeps the password off argv.
        let server = try TestPostgres.shared()
        let secret = "from-passfile-\(UUID().uuidString)"
        try server.ensurePasswordRole(name: "pw_snap_passfile", password: secret)
        let dir = try TempDir()
        let passfile = dir.file("pgpass")
        try "\(server.host):\(server.port):*:pw_snap_passfile:\(secret)\n".write(
            toFile: passfile, atomically: false, encoding: .utf8)
        chmod(passfile, 0o600)
        var settings = server.adminSettings
        settings.user = "pw_snap_passfile"
        settings.password = nil
        settings.extra["passfile"] = passfile
        let connection = try Connection(settings)
        #expect(try connection.query("SELECT current_user").first?[0] == "pw_snap_passfile")
    }

    @Test func pgpasswordInTheEnvironmentIsHonoured() throws {
        // libpq reads PGPASSWORD from the process environment; setenv here would race with
        // parallel tests, so a child process (psql, which uses the same libpq) checks it.
        let server = try TestPostgres.shared()
        let secret = "from-env-\(UUID().uuidString)"
        try server.ensurePasswordRole(name: "pw_snap_env", password: secret)
        var env = server.toolEnvironment()
        env["PGUSER"] = "pw_snap_env"
        env["PGPASSWORD"] = secret
        let ok = try runProcess(server.binDir + "/psql", ["-X", "-At", "-c", "SELECT current_user"], environment: env)
        #expect(ok.succeeded, "\(ok)")
        #expect(ok.stdout == "pw_snap_env\n")
        env["PGPASSWORD"] = "wrong"
        let refused = try runProcess(server.binDir + "/psql", ["-X", "-At", "-c", "SELECT 1"], environment: env)
        #expect(!refused.succeeded)
        #expect(refused.stderr.contains("password authentication failed"))
    }

    @Test func missingDatabaseIsDatabaseMissing() throws {
        let server = try TestPostgres.shared()
        var settings = server.adminSettings
        settings.database = "no_such_room_db_\(getpid())"
        settings.hints = roomHints()
        let error = pgError { _ = try Connection(settings) }
        #expect(error?.code == .databaseMissing)
        #expect(error?.sqlState == "3D000")
        #expect(error?.message.contains("\"\(settings.database!)\"") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(settings.hints.database) == true, "\(error?.message ?? "")")
    }

    @Test func missingRoleIsAuthenticationFailed() throws {
        let server = try TestPostgres.shared()
        var settings = server.adminSettings
        settings.user = "no_such_role_\(getpid())"
        settings.hints = roomHints()
        let error = pgError { _ = try Connection(settings) }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.message.contains(settings.hints.user) == true, "\(error?.message ?? "")")
    }

    @Test func unresolvableHostIsHostNotFound() throws {
        var settings = ConnectionSettings(host: "no-such-host.invalid", port: 5432, user: "x", database: "y")
        settings.hints = roomHints()
        settings.extra["passfile"] = TestPostgres.noPassfile
        let error = pgError { _ = try Connection(settings) }
        #expect(error?.code == .hostNotFound)
        #expect(error?.message.contains(settings.hints.host) == true, "\(error?.message ?? "")")
    }

    @Test func defaultHintsNameLibpqVariables() throws {
        let port = try freeLoopbackPort()
        var settings = ConnectionSettings(host: "127.0.0.1", port: port, user: "x", database: "y")
        settings.extra["passfile"] = TestPostgres.noPassfile
        let error = pgError { _ = try Connection(settings) }
        #expect(error?.message.contains("PGPORT") == true)
    }
}

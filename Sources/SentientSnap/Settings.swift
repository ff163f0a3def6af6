import Foundation
import PGWire

/// Values given on the command line (nil = not given).
public struct SettingFlags: Sendable {
    public var host: String?
    public var pgPort: Int?
    public var mqttPort: Int?
    public var apiPort: Int?
    public var pgUser: String?
    public var pgDatabase: String?
    public var maintenanceDatabase: String?
    public var roomsDir: String?
    public var envDir: String?
    public var container: String?
    public var sslMode: String?
    public init() {}
}

/// Everything a command needs to reach one room, resolved by DESIGN.md "Settings":
/// flag, then `<env-dir>/<room>.env`, then the process environment, then (for
/// host/port/user/database) libpq's PGHOST/PGPORT/PGUSER/PGDATABASE, then the default.
public struct RoomSettings: Sendable {
    public var room: String
    public var host: String
    public var pgPort: Int
    public var pgUser: String
    public var pgDatabase: String
    public var maintenanceDatabase: String
    public var mqttPort: Int
    public var mqttUser: String?
    public var mqttPassword: String?
    public var apiPort: Int
    public var roomsDir: String
    public var container: String
    /// libpq's `sslmode`; nil leaves it to libpq (`PGSSLMODE`, else `prefer`).
    public var sslMode: String?
    /// The OpenSSH Ed25519 private key that signs archives (`SENTIENT_SIGN_KEY`; `--sign-key`
    /// overrides it), and the allowed_signers file a restore trusts (`SENTIENT_TRUSTED_KEYS`;
    /// `--trusted-keys`). nil when not set.
    public var signKey: String?
    public var trustedKeys: String?
    /// The env file that was read, if any.
    public var envFile: String?
    /// Where each value came from, by key ("--pg-port", "SENTIENT_PG_PORT in /etc/sentient/x.env", ...).
    public var origins: [String: String]
    /// Things worth telling the user (unreadable lines, a world-readable password file).
    public var warnings: [String]
    fileprivate var pgPassword: String?
    /// `SENTIENT_ENCRYPT_TO`: age recipients (comma or space separated) backups are encrypted to.
    public var encryptTo: String?
    /// `SENTIENT_IDENTITY`: the age identity file that opens encrypted archives.
    public var identityFile: String?

    /// The room's config directory: `<rooms-dir>/<room>`.
    public var roomDirectory: String { (roomsDir as NSString).appendingPathComponent(room) }

    /// libpq settings for the room's database, with error hints naming the flag and env key.
    public var connection: ConnectionSettings {
        var settings = ConnectionSettings(host: host, port: pgPort, user: pgUser, database: pgDatabase, password: pgPassword)
        let file = envFile.map { " in \($0)" } ?? " in the room's env file"
        settings.hints.host = "--host or SENTIENT_HOST\(file)"
        settings.hints.port = "--pg-port or SENTIENT_PG_PORT\(file)"
        settings.hints.user = "--pg-user or SENTIENT_PG_USER\(file)"
        settings.hints.database = "--pg-database or SENTIENT_PG_DATABASE\(file)"
        settings.hints.password = "SENTIENT_PG_PASSWORD\(file), PGPASSWORD or ~/.pgpass"
        if let sslMode { settings.extra["sslmode"] = sslMode }
        return settings
    }

    /// The same server, connected to the maintenance database (for CREATE/RENAME DATABASE).
    public var maintenanceConnection: ConnectionSettings { connection.with(database: maintenanceDatabase) }

    // MARK: - Resolution

    public static let defaultEnvDir = "/etc/sentient"

    /// libpq's sslmode values.
    public static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// A warning for a session with another machine that is not encrypted (libpq's default
    /// `prefer` falls back to plain text without a word); given once per process.
    func plaintextWarning(for connection: Connection) -> String? {
        guard !connection.isLocal, !connection.usesSSL, PlaintextWarning.first() else { return nil }
        return "the connection to PostgreSQL at \(connection.endpoint) is not encrypted (sslmode \(sslMode ?? "prefer")): "
            + "the password and the room's data cross the network in plain text; use --sslmode require "
            + "(or SENTIENT_PG_SSLMODE=require in the room's env file) to insist on TLS"
    }

    /// Checks a room name: letters, digits, `_` and `-` only (it becomes part of file and database names).
    public static func validateRoomName(_ room: String) throws {
        guard !room.isEmpty, room.utf8.count <= 48,
              room.range(of: "^[a-zA-Z0-9_-]+$", options: .regularExpression) != nil
        else {
            throw SnapError(.usage, "invalid room name '\(room)': use 1-48 letters, digits, '_' or '-' (for example: pharaohs)")
        }
    }

    /// Resolves the settings for `room`.
    /// - Throws: `SnapError(.usage)` for invalid values, `.inputNotFound` when `--env-dir` names a
    ///   directory without the room's env file.
    public static func resolve(
        room: String, flags: SettingFlags, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> RoomSettings {
        try validateRoomName(room)
        var warnings: [String] = []
        var envFile: EnvFile?
        let envDir = flags.envDir ?? environment["SENTIENT_ENV_DIR"] ?? defaultEnvDir
        let envPath = (envDir as NSString).appendingPathComponent("\(room).env")
        if FileManager.default.fileExists(atPath: envPath) {
            let file = try EnvFile(path: envPath)
            envFile = file
            warnings += file.problems.map { "\(envPath) \($0) (ignored)" }
            // Group-readable (0640, the README's own setup for the backup user's group) is fine;
            // readable by every user is not.
            let secret = file["SENTIENT_PG_PASSWORD"] != nil || file["SENTIENT_MQTT_PASSWORD"] != nil
            if secret && file.mode & 0o004 != 0 {
                warnings.append("\(envPath) holds a password and is readable by every user on this host: run chmod o-r \(envPath) (0640 with the backup user's group, or 0600)")
            }
        } else if flags.envDir != nil {
            throw SnapError(.inputNotFound, "no env file for room \(room) at \(envPath) (from --env-dir); create it or drop --env-dir")
        }

        var origins: [String: String] = [:]
        func lookup(_ key: String, flag: (String, String?)?, libpq: String? = nil, default fallback: String?) -> String? {
            if let (flagName, value) = flag, let value {
                origins[key] = flagName
                return value
            }
            if let value = envFile?[key] {
                origins[key] = "\(key) in \(envPath)"
                return value
            }
            if let value = environment[key] {
                origins[key] = "\(key) in the environment"
                return value
            }
            if let libpq, let value = environment[libpq], !value.isEmpty {
                origins[key] = "\(libpq) in the environment"
                return value
            }
            origins[key] = "default"
            return fallback
        }
        func port(_ key: String, flag: (String, Int?), libpq: String? = nil, default fallback: Int) throws -> Int {
            let text = lookup(key, flag: (flag.0, flag.1.map(String.init)), libpq: libpq, default: String(fallback))!
            guard let value = Int(text), (1...65535).contains(value) else {
                throw SnapError(.usage, "\(origins[key]!) is '\(text)', which is not a port number (1-65535)")
            }
            return value
        }

        func sslMode() throws -> String? {
            guard let mode = lookup("SENTIENT_PG_SSLMODE", flag: ("--sslmode", flags.sslMode), libpq: "PGSSLMODE", default: nil) else { return nil }
            guard sslModes.contains(mode) else {
                throw SnapError(.usage, "\(origins["SENTIENT_PG_SSLMODE"]!) is '\(mode)', which is not an sslmode: use one of \(sslModes.joined(separator: ", "))")
            }
            return mode
        }

        let host = lookup("SENTIENT_HOST", flag: ("--host", flags.host), libpq: "PGHOST", default: "127.0.0.1")!
        var settings = RoomSettings(
            room: room, host: host,
            pgPort: try port("SENTIENT_PG_PORT", flag: ("--pg-port", flags.pgPort), libpq: "PGPORT", default: 5432),
            pgUser: lookup("SENTIENT_PG_USER", flag: ("--pg-user", flags.pgUser), libpq: "PGUSER", default: "sentient")!,
            pgDatabase: lookup("SENTIENT_PG_DATABASE", flag: ("--pg-database", flags.pgDatabase), libpq: "PGDATABASE", default: "sentient")!,
            maintenanceDatabase: lookup("SENTIENT_MAINTENANCE_DB", flag: ("--maintenance-db", flags.maintenanceDatabase), default: "postgres")!,
            mqttPort: try port("SENTIENT_MQTT_PORT", flag: ("--mqtt-port", flags.mqttPort), default: 1883),
            mqttUser: lookup("SENTIENT_MQTT_USER", flag: nil, default: nil),
            mqttPassword: lookup("SENTIENT_MQTT_PASSWORD", flag: nil, default: nil),
            apiPort: try port("SENTIENT_API_PORT", flag: ("--api-port", flags.apiPort), default: 8080),
            roomsDir: lookup("SENTIENT_ROOMS_DIR", flag: ("--rooms-dir", flags.roomsDir), default: "./rooms")!,
            container: lookup("SENTIENT_CONTAINER", flag: ("--container", flags.container), default: "sentient-\(room)")!,
            sslMode: try sslMode(),
            signKey: lookup("SENTIENT_SIGN_KEY", flag: nil, default: nil),
            trustedKeys: lookup("SENTIENT_TRUSTED_KEYS", flag: nil, default: nil),
            envFile: envFile?.path, origins: origins, warnings: warnings,
            pgPassword: lookup("SENTIENT_PG_PASSWORD", flag: nil, default: nil))
        settings.encryptTo = lookup("SENTIENT_ENCRYPT_TO", flag: nil, default: nil)
        settings.identityFile = lookup("SENTIENT_IDENTITY", flag: nil, default: nil)
        return settings
    }
}

/// Whether the plain-text warning was given yet in this process.
private enum PlaintextWarning {
    private static let given = Locked(false)

    /// True the first time only.
    static func first() -> Bool {
        given.withLock { given in
            defer { given = true }
            return !given
        }
    }
}

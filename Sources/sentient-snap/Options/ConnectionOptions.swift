import ArgumentParser
import SentientSnap

/// Where the room is: flags that override the env file, the environment and the defaults.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Host of the room's published ports (default: SENTIENT_HOST, PGHOST, then 127.0.0.1).")
    var host: String?

    @Option(name: .customLong("pg-port"), help: "PostgreSQL port (default: SENTIENT_PG_PORT, PGPORT, then 5432).")
    var pgPort: Int?

    @Option(name: .customLong("mqtt-port"), help: "MQTT port (default: SENTIENT_MQTT_PORT, then 1883).")
    var mqttPort: Int?

    @Option(name: .customLong("api-port"), help: "Room API port (default: SENTIENT_API_PORT, then 8080).")
    var apiPort: Int?

    @Option(name: .customLong("pg-user"), help: "PostgreSQL user (default: SENTIENT_PG_USER, PGUSER, then sentient).")
    var pgUser: String?

    @Option(name: .customLong("pg-database"), help: "PostgreSQL database (default: SENTIENT_PG_DATABASE, PGDATABASE, then sentient).")
    var pgDatabase: String?

    @Option(name: .customLong("rooms-dir"), help: "Directory holding <room>/ config trees (default: SENTIENT_ROOMS_DIR, then ./rooms).")
    var roomsDir: String?

    @Option(name: .customLong("env-dir"), help: "Directory of <room>.env files (default: /etc/sentient).")
    var envDir: String?

    @Option(name: .customLong("sslmode"), help: "libpq sslmode: disable, allow, prefer, require, verify-ca or verify-full (default: SENTIENT_PG_SSLMODE, PGSSLMODE, then prefer, which falls back to plain text).")
    var sslMode: String?

    func validate() throws {
        for (flag, value) in [("--pg-port", pgPort), ("--mqtt-port", mqttPort), ("--api-port", apiPort)] {
            if let value, !(1...65535).contains(value) {
                throw ValidationError("\(flag) \(value) is not a port number: use 1-65535.")
            }
        }
        if let sslMode, !RoomSettings.sslModes.contains(sslMode) {
            throw ValidationError("--sslmode \(sslMode) is not an sslmode: use one of \(RoomSettings.sslModes.joined(separator: ", ")).")
        }
    }

    var flags: SettingFlags {
        var flags = SettingFlags()
        flags.host = host
        flags.pgPort = pgPort
        flags.mqttPort = mqttPort
        flags.apiPort = apiPort
        flags.pgUser = pgUser
        flags.pgDatabase = pgDatabase
        flags.roomsDir = roomsDir
        flags.envDir = envDir
        flags.sslMode = sslMode
        return flags
    }
}

/// How results are printed.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object with the result instead of the summary.")
    var json = false

    @Flag(name: [.short, .long], help: "Print nothing but errors.")
    var quiet = false
}

/// Where to connect. Any field left `nil` falls back to libpq's own environment
/// (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`, `PGPASSFILE`/`~/.pgpass`,
/// `PGSSLMODE`, ...), so a venue's existing PostgreSQL setup keeps working.
public struct ConnectionSettings: Sendable, Equatable {
    public var host: String?
    public var port: Int?
    public var user: String?
    public var database: String?
    /// Only ever from an env file or the environment, never from argv. Never printed.
    public var password: String?
    public var applicationName: String = "sentient-snap"
    /// Seconds libpq waits for the connection; 0 waits forever.
    public var connectTimeout: Int = 10
    /// Extra libpq keywords (e.g. `sslmode`), passed as they are.
    public var extra: [String: String] = [:]
    /// How a user changes each setting, quoted in error messages
    /// (e.g. "--pg-port or SENTIENT_PG_PORT in /etc/sentient/pharaohs.env").
    public var hints = Hints()

    public struct Hints: Sendable, Equatable {
        public var host = "PGHOST"
        public var port = "PGPORT"
        public var user = "PGUSER"
        public var database = "PGDATABASE"
        public var password = "PGPASSWORD or ~/.pgpass"
        public init() {}
    }

    public init(
        host: String? = nil, port: Int? = nil, user: String? = nil, database: String? = nil,
        password: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.password = password
    }

    /// A copy pointing at another database on the same server.
    public func with(database: String) -> ConnectionSettings {
        var copy = self
        copy.database = database
        return copy
    }
}

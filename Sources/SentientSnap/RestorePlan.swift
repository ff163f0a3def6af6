import Foundation
import PGDump
import PGWire
import RoomWires

/// What to restore and how (DESIGN.md "Restore flow").
public struct RestoreRequest: Sendable {
    public var settings: RoomSettings
    public var archive: String
    public var roomControl: RoomControlMode = .auto
    public var readyTimeout: Double = 60
    public var waitForReady = true
    public var restoreDatabase = true
    public var restoreConfig = true
    /// Load into the live database itself instead of a staging database (for users without
    /// CREATEDB). Not atomic: see `InPlaceRestore`. Default false.
    public var inPlace = false
    public var dryRun = false
    /// Read and check the whole archive before the plan, then load it (`--verify-first`);
    /// default: the archive is checked as it is loaded into staging, in one read, and the swap
    /// waits for every check (see SinglePassRestore.swift).
    public var verifyFirst = false
    public var jobs = 2
    /// Leave owners / grants out, or create missing roles NOLOGIN (roles are not in archives).
    public var noOwner = false
    public var noACL = false
    public var createRoles = false
    /// Indexes the target cannot build are reported (the result's `attention`, exit 75) and
    /// left out, instead of stopping the restore (`--allow-index-failures`).
    public var allowIndexFailures = false
    /// Ignore the archive's tablespaces: everything goes to the database's default (`--no-tablespaces`).
    public var noTablespaces = false
    /// Send rows as the archive's COPY text, never as binary COPY (`--text-copy`).
    public var textCopy = false
    public var now = Date()

    /// What the restore engine is told, the same for the staging and the in-place load, so
    /// that no leave-out flag is honoured by one and silently ignored by the other.
    var engineOptions: RestoreOptions {
        var options = RestoreOptions()
        options.jobs = jobs
        options.noOwner = noOwner
        options.noACL = noACL
        options.createRoles = createRoles
        options.allowIndexFailures = allowIndexFailures
        options.noTablespaces = noTablespaces
        options.binaryCopy = !textCopy
        return options
    }
    /// Make the broker's retained messages the archive's, when it has them (`--no-mqtt` turns it off).
    public var restoreMQTT = true
    /// Leave retained topics the archive does not have (`--mqtt-keep-extra`); default: clear them.
    public var mqttKeepExtra = false
    /// Settle time and caps for reading the broker's current retained set.
    public var mqttLimits = RetainedState.CaptureLimits()
    /// How many `<db>_pre_restore_<ts>` databases to keep, this restore's included (`--keep-pre-restore`).
    public var keepPreRestore = PreRestoreRetention.defaultKeep
    /// The allowed_signers file whose keys must have signed the archive (`--trusted-keys`,
    /// `SENTIENT_TRUSTED_KEYS`); without it a present `.sig` is checked but not required.
    public var trustedKeys: KeyFile?
    /// Identities for an encrypted (`.tar.gz.age`) archive (`--identity`).
    public var keys = ArchiveKeys.none
    /// Whether and how a missing room container is created (`--create-room`); default: never.
    public var createRoom = RoomCreationOptions()

    public init(settings: RoomSettings, archive: String) {
        self.settings = settings
        self.archive = archive
    }
}

/// What a restore did (`--json` prints it).
public struct RestoreResult: Codable, Sendable {
    public var room: String
    public var archive: String
    public var dry_run: Bool
    public var database: String?
    public var previous_database: String?
    public var dropped_databases: [String]
    public var config_dir: String?
    public var previous_config_dir: String?
    public var tables: [String: Int64]
    public var rows_restored: Int64
    public var rows_after_swap: Int64?
    public var room_control: String
    public var restarted: Bool
    public var ready: Bool?
    public var duration_seconds: Double
    public var warnings: [String]
    /// Non-empty when the restore finished but something needs a human (exit 75).
    public var attention: [String]
    public var plan: [String]
    /// What the MQTT step did; nil when it did not run or failed (see `attention`).
    public var mqtt: RetainedState.ApplyResult? = nil
    /// When the database swap began (live connections blocked), ISO-8601 UTC with fractions, and
    /// how long the swap itself took; nil without a swap. Downtime = swap start to `/ready` 200.
    public var swap_started_at: String? = nil
    public var swap_duration_seconds: Double? = nil
    /// The archive's `.sig`, checked; nil when the archive has none.
    public var signature: SignatureReport? = nil
    /// How the room was created on a host that had none (`--create-room`); nil when it existed.
    public var room_created: String? = nil
    /// How each table's rows went to the server, keyed "schema.table"; nil without a database load.
    public var copy: [String: CopyReport]? = nil
}

/// A table's rows on the wire: pieces sent as binary COPY, pieces sent as the archive's COPY
/// text (all of them with `--text-copy`, or for types the converter does not read), and the
/// COPY statements they took (one per connection, one more per change of format).
public struct CopyReport: Codable, Sendable, Equatable {
    public var binary_chunks: Int
    public var text_chunks: Int
    public var copy_statements: Int

    public init(_ chunks: CopyChunks) {
        (binary_chunks, text_chunks, copy_statements) = (chunks.binary, chunks.text, chunks.copies)
    }
}

public enum RestoreEvent: Sendable {
    case warning(String)
    case step(String)
    case progress(RestoreProgress)
    /// Where the restore is (for the progress bar), and how much of the archive is checked.
    case phase(RestorePhase)
    case verifying(bytesRead: Int64)
}

// MARK: - Names

extension RestoreJob {
    static func isoFractional(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return formatter.string(from: date)
    }

    /// `<db><suffix>`, shortened with a hash of the full name when over 63 bytes.
    public static func databaseName(_ base: String, suffix: String) -> String {
        let full = base + suffix
        guard full.utf8.count > 63 else { return full }
        var hash: UInt32 = 2_166_136_261
        for byte in full.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let tag = "_" + String(hash, radix: 16)
        var prefix = base
        while (prefix + tag + suffix).utf8.count > 63 { prefix.removeLast() }
        return prefix + tag + suffix
    }

    static func databaseExists(_ connection: Connection, _ name: String) throws -> Bool {
        try connection.query("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", [name]).count > 0
    }
}

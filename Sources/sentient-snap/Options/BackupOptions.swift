import ArgumentParser
import Foundation
import SentientSnap

/// What to put in an archive and how: shared by `backup` and `backup-all`.
struct BackupOptions: ParsableArguments {
    @Flag(name: .customLong("no-config"), help: "Back up the database only (for backups from another host).")
    var noConfig = false

    @Option(name: .customLong("compress-level"), help: "gzip level 1-9; the default, chosen by bench/, gives the size of 6 within 2% at 10% less time.")
    var compressLevel: Int32 = 5

    /// Optional so that help shows "number of cores" rather than this machine's count.
    @Option(help: "Compression threads (default: number of cores). The dump uses one database connection.")
    var jobs: Int?

    @Flag(name: .customLong("serializable-deferrable"), help: "Take the snapshot as SERIALIZABLE READ ONLY DEFERRABLE.")
    var serializableDeferrable = false

    @Flag(name: .customLong("strict-room"), help: "Fail (not warn) when the database's events name another room.")
    var strictRoom = false

    @Option(name: .customLong("lock-timeout"), help: "How long to wait for table locks, e.g. 30s (default: wait).")
    var lockTimeout: String?

    @Flag(name: .customLong("no-owner"), help: "Leave object owners out of the dump.")
    var noOwner = false

    @Flag(name: .customLong("no-acl"), help: "Leave GRANTs out of the dump.")
    var noACL = false

    @Option(name: .customLong("exclude-schema"), help: "Leave this schema and everything in it out of the dump (repeatable).")
    var excludeSchema: [String] = []

    @Flag(name: .customLong("no-large-objects"), help: "Leave large objects out of the dump.")
    var noLargeObjects = false

    @Flag(name: .customLong("no-publications"), help: "Leave publications, and the tables and schemas they publish, out of the dump.")
    var noPublications = false

    @Flag(name: .customLong("no-subscriptions"), help: "Leave subscriptions out of the dump.")
    var noSubscriptions = false

    @Flag(name: .customLong("no-comments"), help: "Leave comments (COMMENT ON) out of the dump.")
    var noComments = false

    @Flag(name: .customLong("no-security-labels"), help: "Leave security labels out of the dump instead of refusing them.")
    var noSecurityLabels = false

    @Flag(name: .customLong("no-tablespaces"), help: "Leave tablespaces out of the dump: a restore puts every table and index in the database's default tablespace.")
    var noTablespaces = false

    @Flag(name: .customLong("no-mqtt"), help: "Do not back up the MQTT broker's retained messages.")
    var noMQTT = false

    @Flag(name: .customLong("require-mqtt"), help: "Fail (exit 69) when the MQTT broker does not answer, instead of warning and backing up without its state.")
    var requireMQTT = false

    @Option(name: .customLong("mqtt-settle"), help: "Seconds without a new retained message after which the MQTT capture is complete.")
    var mqttSettle: Double = 0.5

    @Option(name: .customLong("sign-key"), help: "Unencrypted OpenSSH Ed25519 private key that signs each archive into <archive>.sig, checkable with ssh-keygen -Y verify -n sentient-snap (default: SENTIENT_SIGN_KEY, else unsigned).")
    var signKey: String?
    @Option(name: .customLong("encrypt-to"), help: ArgumentHelp("Encrypt the archive with age to this X25519 recipient (repeatable): writes .tar.gz.age, no plain copy (default: SENTIENT_ENCRYPT_TO in the env file).", valueName: "age1..."))
    var encryptTo: [String] = []

    @Option(name: .customLong("recipients-file"), help: "Encrypt to the age recipients in this file (one age1... per line, # comments).")
    var recipientsFile: String?

    func validate() throws {
        guard (1...9).contains(compressLevel) else {
            throw ValidationError("--compress-level \(compressLevel) is out of range: use 1 (fastest) to 9 (smallest).")
        }
        if let jobs, !(1...256).contains(jobs) {
            throw ValidationError("--jobs \(jobs) is out of range: use 1 to 256.")
        }
        if noMQTT && requireMQTT {
            throw ValidationError("--no-mqtt and --require-mqtt cannot be combined.")
        }
        guard mqttSettle > 0 && mqttSettle <= 5 else {
            throw ValidationError("--mqtt-settle \(mqttSettle) is out of range: use more than 0 and at most 5 seconds.")
        }
    }

    /// The request for one room with these options.
    /// - Throws: `SnapError(.usage)` for a recipient that is not `age1...`.
    func request(settings: RoomSettings, outputDirectory: String) throws -> BackupRequest {
        var request = BackupRequest(settings: settings, outputDirectory: outputDirectory)
        request.includeConfig = !noConfig
        request.compressionLevel = compressLevel
        request.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        request.serializableDeferrable = serializableDeferrable
        request.strictRoom = strictRoom
        request.lockTimeout = lockTimeout
        request.noOwner = noOwner
        request.noACL = noACL
        request.excludeSchemas = excludeSchema
        request.noLargeObjects = noLargeObjects
        request.noPublications = noPublications
        request.noSubscriptions = noSubscriptions
        request.noComments = noComments
        request.noSecurityLabels = noSecurityLabels
        request.noTablespaces = noTablespaces
        request.includeMQTT = !noMQTT
        request.requireMQTT = requireMQTT
        request.mqttLimits.settle = mqttSettle
        request.signKey = KeyFile.resolve(flag: signKey, flagName: "--sign-key", setting: settings.signKey, key: "SENTIENT_SIGN_KEY", settings: settings)
        let recipients = encryptTo.isEmpty && recipientsFile == nil ? settings.encryptTo.map { [$0] } ?? [] : encryptTo
        request.encryptTo = try ArchiveRecipients.resolve(recipients, file: recipientsFile)
        return request
    }
}

import Age
import ArchiveWriter
import Crypto
import Foundation
import RoomWires
import PGDump
import PGWire
import SSHSig
import Synchronization

/// What to back up and how.
public struct BackupRequest: Sendable {
    public var settings: RoomSettings
    public var outputDirectory: String
    /// Store the room's config tree (`--no-config` turns it off for remote backup hosts).
    public var includeConfig = true
    /// zlib level. 5 by measurement (bench/): within 2% of pg_dump -Fc's size (level 6) for ~13%
    /// less compression CPU; level 4 is ~10% larger on event-store data.
    public var compressionLevel: Int32 = 5
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    public var serializableDeferrable = false
    public var strictRoom = false
    public var lockTimeout: String?
    /// Leave object owners / GRANTs out of the dump.
    public var noOwner = false
    public var noACL = false
    /// Schemas left out of the dump; large objects left out (--no-large-objects).
    public var excludeSchemas: [String] = []
    public var noLargeObjects = false
    /// Publications, subscriptions, comments and security labels left out (pg_dump's flags).
    public var noPublications = false
    public var noSubscriptions = false
    public var noComments = false
    public var noSecurityLabels = false
    /// Put every table and index in the database's default tablespace on restore (--no-tablespaces).
    public var noTablespaces = false
    /// The time the archive is named after (local time).
    public var now = Date()
    /// Capture the broker's retained messages into `mqtt/retained.json` (`--no-mqtt` turns it off).
    public var includeMQTT = true
    /// A broker that does not answer fails the backup instead of drawing a warning (`--require-mqtt`).
    public var requireMQTT = false
    /// Settle time (`--mqtt-settle`) and caps of the MQTT capture.
    public var mqttLimits = RetainedState.CaptureLimits()
    /// The key that signs the archive into `<archive>.sig` (`--sign-key`, `SENTIENT_SIGN_KEY`).
    public var signKey: KeyFile?
    /// Encrypt the archive with age to these recipients (`--encrypt-to`): the result is
    /// `.tar.gz.age` and no plain copy is kept.
    public var encryptTo: [AgeRecipient] = []

    public init(settings: RoomSettings, outputDirectory: String) {
        self.settings = settings
        self.outputDirectory = outputDirectory
    }
}

/// What a finished backup reports (`--json` prints it).
public struct BackupResult: Codable, Sendable {
    public var room: String
    public var archive: String
    public var size: Int64
    public var sha256: String
    public var tables: [TableDumpStats]
    public var total_rows: Int64
    public var config_files: Int
    public var duration_seconds: Double
    public var server_version: String
    public var warnings: [String]
    /// The retained MQTT messages stored; nil when none were captured.
    public var mqtt: Manifest.MQTT? = nil
    /// What the backup's options left out of the dump (schemas, large objects, publications,
    /// subscriptions, comments, security labels); nil when nothing.
    public var left_out: [String]? = nil
    /// `<archive>.sig` and its key's fingerprint; nil when not signed.
    public var signature: String? = nil
    public var signed_by: String? = nil
}

/// Things a backup tells while it runs.
public enum BackupEvent: Sendable {
    case warning(String)
    case connected(server: String, database: String)
    case progress(DumpProgress, compressedBytes: Int64)
    /// The tables the data phase will read, with the catalog's size estimates (before the first row).
    case planned([PlannedTable])
    /// `--encrypt-to`: `bytes` of the written archive's `total` are encrypted.
    case encrypting(bytes: Int64, total: Int64)
}

/// Backs up one room into `sentient-<room>-<ts>.tar.gz` (DESIGN.md "Backup flow").
public final class BackupJob {
    private let request: BackupRequest
    private let events: (BackupEvent) -> Void
    private var warnings: [String] = []

    public init(_ request: BackupRequest, events: @escaping (BackupEvent) -> Void = { _ in }) {
        self.request = request
        self.events = events
    }

    private func warn(_ message: String) {
        warnings.append(message)
        events(.warning(message))
    }

    /// Runs the backup. On any failure no partial or final archive is left behind.
    /// - Throws: `SnapError`, `PGError`, `DumpError` or `ArchiveError`.
    public func run() throws -> BackupResult {
        let started = Date()
        let settings = request.settings
        let room = settings.room
        settings.warnings.forEach(warn)

        // Checks that need no server come first, so a typo costs nothing.
        let outputDirectory = request.outputDirectory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SnapError(.outputNotCreatable, "the output directory \(outputDirectory) does not exist: create it (mkdir -p \(outputDirectory)) or name another")
        }
        guard access(outputDirectory, W_OK | X_OK) == 0 else {
            throw SnapError(.outputNotCreatable, "the output directory \(outputDirectory) is not writable by this user: fix its permissions or name another")
        }
        var configItems: [ConfigItem] = []
        var revision: String?
        if request.includeConfig {
            let roomDirectory = settings.roomDirectory
            guard FileManager.default.fileExists(atPath: roomDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SnapError(.inputNotFound, "the room's config directory \(roomDirectory) does not exist: set --rooms-dir (or SENTIENT_ROOMS_DIR) to the directory that holds \(room)/, or use --no-config to back up the database only")
            }
            let walked = try RoomConfig.walk(roomDirectory)
            configItems = walked.items
            walked.skipped.forEach { warn("not stored (not a file, directory or link): \($0)") }
            revision = try RoomConfig.revision(roomDirectory: roomDirectory)
        }
        let signingKey = try request.signKey.map(ArchiveSignature.loadSigningKey)
        request.signKey.flatMap(ArchiveSignature.permissionWarning).map(warn)

        // One backup of a room per output directory at a time: a second one waits its turn
        // (released, and the lock file removed, when this function returns).
        let roomLock = try RoomLock(room: room, directory: outputDirectory) {
            self.warn("another backup or a restore of \(room) using \(outputDirectory) is running; waiting for it to finish")
        }
        defer { roomLock.release() }

        // One connection, one snapshot.
        let connection = try Connection(settings.connection)
        settings.plaintextWarning(for: connection).map(warn)
        events(.connected(server: connection.serverVersion, database: connection.database))
        var dumpOptions = DumpOptions()
        dumpOptions.serializableDeferrable = request.serializableDeferrable
        dumpOptions.lockTimeout = request.lockTimeout
        dumpOptions.noOwner = request.noOwner
        dumpOptions.noACL = request.noACL
        dumpOptions.excludeSchemas = request.excludeSchemas
        dumpOptions.noLargeObjects = request.noLargeObjects
        dumpOptions.noPublications = request.noPublications
        dumpOptions.noSubscriptions = request.noSubscriptions
        dumpOptions.noComments = request.noComments
        dumpOptions.noSecurityLabels = request.noSecurityLabels
        dumpOptions.noTablespaces = request.noTablespaces
        dumpOptions.dumperVersion = "sentient-snap \(SentientSnapVersion.current)"
        let dumper = DatabaseDumper(connection: connection, options: dumpOptions)
        defer { dumper.abort() }
        let plan = try dumper.prepare()
        try checkRoomIdentity(connection, plan: plan)
        events(.planned(plan.tables))

        // MQTT retained state, before the archive file exists: a failure leaves nothing behind.
        let retained = try captureMQTT()

        // The archive: hidden .partial, renamed only when complete. A backup that waited for
        // another one of the same second takes the next second's name instead of failing.
        var takenAt = request.now
        func archiveName(_ date: Date) -> String { "sentient-\(room)-\(Self.timestamp(date)).tar.gz" }
        let published = request.encryptTo.isEmpty ? "" : ArchiveFile.encryptedSuffix
        for _ in 0..<3 where FileManager.default.fileExists(atPath: (outputDirectory as NSString).appendingPathComponent(archiveName(takenAt) + published)) {
            let next = takenAt.addingTimeInterval(1)
            Thread.sleep(until: Date(timeIntervalSince1970: next.timeIntervalSince1970.rounded(.down)))
            takenAt = max(Date(), next)
        }
        let archiveName = archiveName(takenAt)
        let baseName = String(archiveName.dropLast(".tar.gz".count))
        let finalPath = (outputDirectory as NSString).appendingPathComponent(archiveName + published)
        let partialPath = (outputDirectory as NSString).appendingPathComponent(".\(archiveName).partial")
        guard !FileManager.default.fileExists(atPath: finalPath) else {
            throw SnapError(.outputNotCreatable, "\(finalPath) already exists (another backup of \(room) in the same second?); try again in a second")
        }
        var options = TarGzWriter.Options()
        options.level = request.compressionLevel
        options.workers = max(1, request.jobs)
        let writer: TarGzWriter
        do {
            writer = try TarGzWriter(path: partialPath, options: options)
        } catch let error as ArchiveError {
            throw SnapError(.outputNotCreatable, "cannot create \(partialPath): \(error.message)", underlying: error)
        }
        PartialFiles.shared.register(partialPath)
        var success = false
        defer {
            if !success {
                writer.abort()
                unlink(partialPath)
            }
            PartialFiles.shared.unregister(partialPath)
        }

        let now = Int64(takenAt.timeIntervalSince1970)
        func meta(_ name: String, _ kind: TarEntryMetadata.Kind, mode: UInt32, mtime: Int64 = now) -> TarEntryMetadata {
            TarEntryMetadata(name: "\(baseName)/\(name)", kind: kind, mode: mode, mtime: mtime)
        }

        // manifest.json first: reserved now, patched once every checksum is known.
        let capacity = Self.manifestCapacity(configItems: configItems, tables: plan.tables.count)
        let manifestEntry = try writer.reserveEntry(meta(ArchiveLayout.manifest, .file, mode: 0o600), capacity: capacity)
        try writer.addEntry(meta("", .directory, mode: 0o700))

        var files: [Manifest.FileRecord] = []
        var links: [Manifest.LinkRecord] = []
        if request.includeConfig {
            try writer.addEntry(meta(ArchiveLayout.configDirectory, .directory, mode: 0o755))
            for item in configItems {
                let name = ArchiveLayout.configPrefix + item.relativePath
                switch item.kind {
                case .directory:
                    try writer.addEntry(meta(name, .directory, mode: item.mode, mtime: item.mtime))
                case .symlink(let target):
                    try writer.addEntry(meta(name, .symlink(target: target), mode: item.mode, mtime: item.mtime))
                    links.append(.init(path: name, target: target))
                case .file:
                    let stored = try Self.addFile(writer, meta(name, .file, mode: item.mode, mtime: item.mtime), root: settings.roomDirectory, relative: item.relativePath)
                    files.append(.init(path: ArchiveLayout.configPrefix + item.relativePath, size: stored.size, sha256: stored.sha256))
                }
            }
        }

        // db/database.dump, streamed: hashed as it goes, never spooled.
        try writer.addEntry(meta("db", .directory, mode: 0o700))
        var hasher = SHA256()
        var tables: [TableDumpStats] = []
        let dumpSize = try writer.addStreamingFile(meta(ArchiveLayout.databaseDump, .file, mode: 0o600)) { sink in
            tables = try dumper.write(plan, to: { bytes in
                hasher.update(bufferPointer: bytes)
                try sink.write(bytes)
            }, progress: { [events] progress in
                events(.progress(progress, compressedBytes: writer.compressedBytesWritten))
            })
        }
        try dumper.finish()
        files.append(.init(path: ArchiveLayout.databaseDump, size: dumpSize, sha256: Self.hex(hasher.finalize())))

        // mqtt/retained.json, after the dump.
        var mqttRecord: Manifest.MQTT?
        if let retained {
            let json = try retained.encodedJSON()
            try writer.addEntry(meta("mqtt", .directory, mode: 0o700))
            try writer.addFile(meta(ArchiveLayout.mqttRetained, .file, mode: 0o600), size: Int64(json.count)) { try $0.write(json) }
            files.append(.init(path: ArchiveLayout.mqttRetained, size: Int64(json.count), sha256: Self.hex(SHA256.hash(data: json))))
            mqttRecord = .init(captured_at: retained.capturedAt, messages: retained.messages.count, bytes: retained.payloadBytes)
        }

        let totalRows = tables.reduce(0) { $0 + $1.rows }
        let manifest = Manifest(
            room_name: room, version: revision, git_commit: request.includeConfig ? RoomConfig.gitCommit(roomsDir: settings.roomsDir) : nil,
            timestamp: isoUTC(takenAt), backup_type: "full", container_running: nil,
            contents: .init(database: true, config: request.includeConfig, mqtt: retained != nil),
            created_by: "sentient-snap", sentient_version: nil,
            format_version: Manifest.formatVersion, tool_version: SentientSnapVersion.current,
            archive_name: archiveName,
            database: .init(
                name: plan.database, server_version: plan.serverVersion, server_version_num: plan.serverVersionNumber,
                snapshot_time: isoUTC(plan.snapshotTime), dump_file: ArchiveLayout.databaseDump, dump_format: "custom 1.14",
                tables: tables, sequences: plan.sequenceCount, total_rows: totalRows,
                left_out: dumpOptions.leftOut.isEmpty ? nil : dumpOptions.leftOut),
            files: files, mqtt: mqttRecord, links: links)
        let manifestBytes = try manifest.encoded()
        guard manifestBytes.count <= capacity else {
            throw SnapError(.failure, "internal error: manifest.json (\(manifestBytes.count) bytes) outgrew its reserved \(capacity) bytes")
        }
        try writer.patch(manifestEntry, content: manifestBytes)
        try writer.finish()

        // Encrypted: the finished plain partial is encrypted into its own partial, then removed.
        let publishPath = request.encryptTo.isEmpty ? partialPath : try encryptPartial(partialPath, name: archiveName)
        defer {
            if publishPath != partialPath {
                if !success { unlink(publishPath) }
                PartialFiles.shared.unregister(publishPath)
            }
        }
        // Publish: rename without replacing, then the sidecar.
        if link(publishPath, finalPath) != 0 {
            let reason = String(cString: strerror(errno))
            throw SnapError(.ioFailure, "cannot publish \(finalPath): \(reason)")
        }
        unlink(publishPath)
        unlink(partialPath)
        Self.fsyncDirectory(outputDirectory)
        success = true
        // One pass over the published bytes for the sidecar and the signature.
        let digests = try ArchiveSignature.digests(ofFile: finalPath, sha512: signingKey != nil)
        let digest = Self.hex(digests.sha256)
        try Self.writeSidecar(for: finalPath, digest: digest)
        let signature = try signingKey.map { try ArchiveSignature.sign(finalPath, digests: digests, key: $0) }

        let size = (try? FileManager.default.attributesOfItem(atPath: finalPath)[.size] as? NSNumber)?.int64Value ?? 0
        return BackupResult(
            room: room, archive: finalPath, size: size, sha256: digest, tables: tables, total_rows: totalRows,
            config_files: files.count - (retained == nil ? 1 : 2), duration_seconds: Date().timeIntervalSince(started),
            server_version: plan.serverVersion, warnings: warnings, mqtt: mqttRecord,
            left_out: dumpOptions.leftOut.isEmpty ? nil : dumpOptions.leftOut,
            signature: signature.map { _ in finalPath + ArchiveSignature.suffix }, signed_by: signature?.publicKey.fingerprint)
    }

    // MARK: - Steps

    /// Encrypts the finished plain partial into `.<name>.age.partial` (streamed, 0600, fsynced)
    /// and removes the plain one: only the encrypted file is ever published.
    private func encryptPartial(_ plainPartial: String, name: String) throws -> String {
        let partial = (request.outputDirectory as NSString).appendingPathComponent(".\(name)\(ArchiveFile.encryptedSuffix).partial")
        PartialFiles.shared.register(partial)
        do {
            var info = stat()
            let total = stat(plainPartial, &info) == 0 ? Int64(info.st_size) : 0
            events(.encrypting(bytes: 0, total: total))
            try ArchiveFile.encrypt(plainPartial, to: partial, recipients: request.encryptTo) { [events] in events(.encrypting(bytes: $0, total: total)) }
        } catch {
            PartialFiles.shared.unregister(partial)
            throw error
        }
        unlink(plainPartial)
        return partial
    }

    /// DESIGN.md identity check: an `events` table whose rows never name this room
    /// probably means the port belongs to another room.
    private func checkRoomIdentity(_ connection: Connection, plan: DumpPlan) throws {
        guard plan.tables.contains(where: { $0.schema == "public" && $0.name == "events" }) else { return }
        let hasRoomColumn = try connection.query("""
            SELECT 1 FROM pg_catalog.pg_attribute
            WHERE attrelid = 'public.events'::pg_catalog.regclass AND attname = 'room_id' AND NOT attisdropped
            """).count > 0
        guard hasRoomColumn else { return }
        // Planning a query on events inlines its index expressions under the dump's empty
        // search_path, which can fail where COPY (and pg_dump) does not: a savepoint keeps the
        // snapshot's transaction usable, and the backup goes on without the check.
        try connection.execute("SAVEPOINT sentient_identity")
        let row: Row
        do {
            row = try connection.query("""
                SELECT EXISTS (SELECT 1 FROM public.events), EXISTS (SELECT 1 FROM public.events WHERE room_id = $1),
                       (SELECT room_id FROM public.events WHERE room_id IS NOT NULL LIMIT 1)
                """, [request.settings.room]).rows[0]
            try connection.execute("RELEASE SAVEPOINT sentient_identity")
        } catch let error as PGError where error.code == .query {
            try connection.execute("ROLLBACK TO SAVEPOINT sentient_identity")
            let message = "could not check that the database at \(connection.endpoint) belongs to room '\(request.settings.room)': reading public.events failed (\(error.serverMessage))"
            if request.strictRoom { throw SnapError(.failure, message + "; refusing because of --strict-room") }
            warn(message + "; the backup goes on without that check")
            return
        }
        let anyRows: Bool = try row.get(0)
        let mine: Bool = try row.get(1)
        guard anyRows, !mine else { return }
        let other = row[2] ?? "?"
        let message = "the database at \(connection.endpoint) holds events of room '\(other)', none of room '\(request.settings.room)': this port probably belongs to another room (check --pg-port / SENTIENT_PG_PORT)"
        if request.strictRoom { throw SnapError(.failure, message + "; refusing because of --strict-room") }
        warn(message)
    }

    /// Reads the broker's retained messages (DESIGN.md backup step 4). A broker that does not
    /// answer is a warning (the backup goes on without MQTT state) unless `--require-mqtt`;
    /// a refused login, a hit cap or a broker that is not MQTT are errors.
    private func captureMQTT() throws -> RetainedSnapshot? {
        guard request.includeMQTT else { return nil }
        do {
            return try RetainedState.capture(request.settings.mqttOptions, limits: request.mqttLimits)
        } catch let error as MQTTError where !request.requireMQTT && [.unreachable, .timeout, .connectionLost].contains(error.code) {
            warn(error.message + "; this backup holds no MQTT state (--require-mqtt makes that an error, --no-mqtt silences it)")
            return nil
        } catch let error as MQTTError {
            throw error.snapError
        }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }

    /// Room for the manifest: its size depends on how many files and tables it lists.
    static func manifestCapacity(configItems: [ConfigItem], tables: Int) -> Int {
        let files = configItems.reduce(0) { total, item in
            // A link's record: its path and target, each escaped at worst to 6 bytes a byte.
            guard case .symlink(let target) = item.kind else { return total + item.relativePath.utf8.count + 160 }
            return total + 6 * (item.relativePath.utf8.count + target.utf8.count) + 240
        }
        let raw = 8192 + files + tables * 320
        return (raw + 511) / 512 * 512
    }

    /// Stores the config file `relative` (below the room directory `root`), opened without
    /// following a link anywhere below the room and read through that same descriptor: the size
    /// comes from `fstat` on it, and the size and hash returned are of the bytes stored. A file
    /// swapped for a link, a directory or a FIFO since the config tree was listed is refused.
    static func addFile(_ writer: TarGzWriter, _ meta: TarEntryMetadata, root: String, relative: String) throws -> (size: Int64, sha256: String) {
        let path = (root as NSString).appendingPathComponent(relative)
        let fd = SafeOpen.beneath(root, relative)
        guard fd >= 0 else {
            if errno == ELOOP || errno == ENOTDIR {
                throw SnapError(.failure, "\(path) became a link (or lies under one) while it was being backed up; nothing is read through links in a room's config, run the backup again")
            }
            throw SnapError(.inputNotFound, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw SnapError(.failure, "\(path) is no longer a regular file; run the backup again")
        }
        let size = Int64(info.st_size)
        var hasher = SHA256()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        try writer.addFile(meta, size: size) { sink in
            var remaining = size
            while remaining > 0 {
                let n = read(fd, chunk.baseAddress, Int(min(remaining, Int64(chunk.count))))
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw SnapError(.ioFailure, "cannot read \(path): \(String(cString: strerror(errno)))") }
                if n == 0 {
                    throw SnapError(.failure, "\(path) shrank while it was being backed up; run the backup again")
                }
                let piece = UnsafeRawBufferPointer(rebasing: chunk[0..<n])
                hasher.update(bufferPointer: piece)
                try sink.write(piece)
                remaining -= Int64(n)
            }
        }
        return (size, hex(hasher.finalize()))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a whole file, read in 1 MiB pieces.
    public static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SnapError(.inputNotFound, "cannot read \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let data = handle.readData(ofLength: 1 << 20)
            if data.isEmpty { break }
            data.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        return hex(hasher.finalize())
    }

    /// `<archive>.sha256` in sha256sum format, mode 0600, written via a temp file + rename.
    static func writeSidecar(for archive: String, digest: String) throws {
        let line = "\(digest)  \((archive as NSString).lastPathComponent)\n"
        let temp = archive + ".sha256.tmp"
        // O_EXCL | O_NOFOLLOW: a link planted in a shared output directory is never followed.
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SnapError(.ioFailure, "cannot write \(archive).sha256: \(String(cString: strerror(errno)))") }
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temp, archive + ".sha256") == 0 else {
            unlink(temp)
            throw SnapError(.ioFailure, "cannot write \(archive).sha256: \(String(cString: strerror(errno)))")
        }
    }

    static func fsyncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

import Foundation
import PGDump

/// `manifest.json`: a superset of what the old backup-room.sh wrote (DESIGN.md "manifest.json").
/// Field names of the old script are kept as they were (snake_case).
public struct Manifest: Codable, Sendable, Equatable {
    public struct Contents: Codable, Sendable, Equatable {
        public var database: Bool
        public var config: Bool
        public var mqtt: Bool?
    }

    public struct FileRecord: Codable, Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var sha256: String
    }

    /// A symbolic link under `config/`, as backup found it (the target is never followed).
    public struct LinkRecord: Codable, Sendable, Equatable {
        public var path: String
        public var target: String
    }

    public struct Database: Codable, Sendable, Equatable {
        public var name: String
        public var server_version: String
        public var server_version_num: Int
        public var snapshot_time: String
        public var dump_file: String
        public var dump_format: String
        public var tables: [TableDumpStats]
        public var sequences: Int
        public var total_rows: Int64
        /// What the backup's options left out of the dump ("schema NAME", "large objects",
        /// "publications", "subscriptions", "comments", "security labels"); absent when nothing.
        public var left_out: [String]? = nil
    }

    public struct MQTT: Codable, Sendable, Equatable {
        public var captured_at: String
        public var messages: Int
        public var bytes: Int64
    }

    // The old script's fields.
    public var room_name: String
    public var version: String?
    public var git_commit: String?
    public var timestamp: String
    public var backup_type: String
    public var container_running: Bool?
    public var contents: Contents
    public var created_by: String
    public var sentient_version: String?
    // Ours.
    public var format_version: Int?
    public var tool_version: String?
    public var archive_name: String?
    public var database: Database?
    public var files: [FileRecord]?
    public var mqtt: MQTT?
    /// Every link under `config/`. nil in manifests written before it was recorded (then links
    /// are checked by the rules alone); present, the archive's links must be exactly these.
    public var links: [LinkRecord]? = nil

    /// Current manifest format; readers accept older and the old scripts' (nil).
    public static let formatVersion = 1

    /// Encodes as pretty JSON with sorted keys and a final newline.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// Decodes a manifest (ours or the old scripts'); trailing padding whitespace is fine.
    public static func decode(_ bytes: [UInt8]) throws -> Manifest {
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw SnapError(.damagedArchive, "manifest.json is not a valid manifest: \(error)", underlying: error)
        }
    }
}

/// ISO-8601 UTC timestamps as the old script wrote them (`date -u +%Y-%m-%dT%H:%M:%SZ`).
func isoUTC(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}

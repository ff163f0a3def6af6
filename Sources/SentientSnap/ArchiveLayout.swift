/// Where things live inside a backup archive, below its one top directory
/// (`sentient-<room>-<stamp>/`): named once here, used by backup, verify, restore and export.
enum ArchiveLayout {
    /// The manifest: what the archive holds, with sizes and SHA-256s (DESIGN.md "manifest.json").
    static let manifest = "manifest.json"
    /// The custom-format database dump (pg_restore reads it too).
    static let databaseDump = "db/database.dump"
    /// The plain SQL dump of archives made by the old scripts.
    static let legacySQLDump = "db/database.sql"
    /// The broker's retained MQTT messages, when captured.
    static let mqttRetained = "mqtt/retained.json"
    /// The room's config tree, and the prefix of every path in it.
    static let configDirectory = "config"
    static let configPrefix = "config/"
}

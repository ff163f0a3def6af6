import Foundation
import PGWire
import SentientSnap
import TestHarness
import Testing

/// Archives made by the old backup-room.sh (Fixtures/legacy, made by scripts/make-legacy-fixtures.sh
/// with PostgreSQL 16's pg_dump and GNU tar) restore with the checks they allow.
@Suite("archives from the old scripts", .timeLimit(.minutes(30)))
struct LegacyArchiveTests {
    static let customDump = "legacy/sentient-pharaohs-20240115-143022.tar.gz"
    static let plainSQL = "legacy/sentient-pharaohs-20240116-020000.tar.gz"
    static let configOnly = "legacy/sentient-pharaohs-20240117-020000.tar.gz"

    func restore(_ fixture: String, database: TestDatabase, roomsDir: String) throws -> RestoreResult {
        // The rooms' role owns everything in these dumps; roles are cluster-wide, not in archives.
        try TestPostgres.shared().admin { admin in
            if try admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'sentient'").count == 0 {
                try? admin.execute("CREATE ROLE sentient")
            }
        }
        let request = try restoreRequest(fixturePath(fixture), into: database, room: "pharaohs", roomsDir: roomsDir)
        return try RestoreJob(request, confirm: { _, _ in true }).run()
    }

    @Test("verify accepts them and says they come from the old scripts")
    func verify() throws {
        for (fixture, kind) in [(Self.customDump, "custom-dump"), (Self.plainSQL, "plain-sql"), (Self.configOnly, "none")] {
            let inspection = try ArchiveInspector.inspect(fixturePath(fixture))
            #expect(inspection.isLegacy)
            #expect(inspection.database.rawValue == kind)
            #expect(inspection.configFiles == 3)
            #expect(inspection.notes.contains { $0.contains("old backup scripts") })
            #expect(inspection.manifest?.room_name == "pharaohs")
            if kind == "custom-dump" {
                #expect(inspection.dumpVersion == "1.15")
                #expect(inspection.tableRows["public.events"] == 300)
            }
        }
    }

    @Test("the PostgreSQL 16 custom dump and the plain-SQL fallback restore to the same rows")
    func databaseArchives() throws {
        let server = try TestPostgres.shared()
        let dir = try TempDir()
        let fromDump = try server.createDatabase(prefix: "legacy_dump")
        let dumpResult = try restore(Self.customDump, database: fromDump, roomsDir: dir.path + "/a")
        #expect(dumpResult.tables["public.events"] == 300)
        let fromSQL = try server.createDatabase(prefix: "legacy_sql")
        _ = try restore(Self.plainSQL, database: fromSQL, roomsDir: dir.path + "/b")
        let sums = "SELECT count(*) || ' ' || md5(string_agg(e::text, '' ORDER BY event_id)) FROM events e"
        #expect(try fromDump.psql(sums).hasPrefix("300 "))
        #expect(try fromSQL.psql(sums) == fromDump.psql(sums))
        #expect(try fromSQL.psql("SELECT last_value FROM events_event_id_seq") == "300")
        #expect(try schemaDump(fromSQL) == schemaDump(fromDump))
        #expect(try treeContents(dir.path + "/a/pharaohs") == treeContents(fixturePath("rooms/pharaohs")))
        #expect(try treeContents(dir.path + "/b/pharaohs") == treeContents(fixturePath("rooms/pharaohs")))
    }

    @Test("a config-only archive restores the config and leaves the database alone")
    func configOnlyArchive() throws {
        let server = try TestPostgres.shared()
        let dir = try TempDir()
        let live = try server.createDatabase(prefix: "legacy_cfg")
        try live.psql("CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (7)")
        let result = try restore(Self.configOnly, database: live, roomsDir: dir.path)
        #expect(result.database == nil)
        #expect(try live.psql("SELECT x FROM keep_me") == "7")
        #expect(try treeContents(dir.path + "/pharaohs") == treeContents(fixturePath("rooms/pharaohs")))
    }
}

import Foundation
import PGWire
import TestHarness
import Testing

/// One metric family as the reference Prometheus client library parsed it.
struct ParsedFamily: Decodable {
    struct Sample: Decodable {
        var name: String
        var labels: [String: String]
        var value: Double
    }
    var name: String
    var type: String
    var documentation: String
    var samples: [Sample]

    func value(room: String?) -> Double? {
        samples.first { $0.labels["room"] == room }?.value
    }
}

/// Parses Prometheus text with `prometheus_client.parser.text_string_to_metric_families` in a
/// python3 child (`pip install prometheus-client`; .ci/run installs it). A parse error fails.
func parsePrometheus(_ text: String) throws -> [String: ParsedFamily] {
    let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        families = [{"name": f.name, "type": f.type, "documentation": f.documentation,
                     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
                    for f in text_string_to_metric_families(sys.stdin.read())]
        print(json.dumps(families))
        """
    let result = try runProcess("python3", ["-c", script], stdin: text, timeout: 60)
    guard result.status == 0 else {
        throw HarnessError("prometheus_client could not parse the metrics (is it installed? pip install prometheus-client): \(result.stderr)\n\(text)")
    }
    let families = try JSONDecoder().decode([ParsedFamily].self, from: Data(result.stdout.utf8))
    return Dictionary(families.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
}

private func parseFile(_ path: String) throws -> [String: ParsedFamily] {
    try parsePrometheus(String(contentsOfFile: path, encoding: .utf8))
}

private func jsonObject(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}

/// Every family has HELP and TYPE gauge, and the file has one HELP/TYPE pair per family.
private func expectWellFormed(_ path: String, families: [String: ParsedFamily], names: [String]) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(Set(families.keys) == Set(names), "\(path): \(families.keys.sorted())")
    for name in names {
        #expect(text.contains("# HELP \(name) "), "\(name) has no HELP line")
        #expect(text.contains("# TYPE \(name) gauge\n"), "\(name) has no TYPE line")
        #expect(families[name]?.type == "gauge")
        #expect((families[name]?.documentation.count ?? 0) > 0, "\(name) has no help text")
    }
}

private let common = ["last_success_timestamp_seconds", "last_attempt_timestamp_seconds", "last_exit_code", "duration_seconds"]

@Suite("metrics: --metrics-dir and status --prometheus")
struct MetricsCLITests {
    @Test("backup --metrics-dir writes sentient-backup-<room>.prom (textfile format, atomically), parsed by prometheus_client")
    func backupMetrics() throws {
        let room = try CLIRoom()
        let metrics = room.dir.file("metrics")
        try FileManager.default.createDirectory(atPath: metrics, withIntermediateDirectories: true)
        let before = Date().timeIntervalSince1970
        let result = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root", "--metrics-dir", metrics] + room.flags())
        #expect(result.status == 0, "\(result.stderr)")
        let after = Date().timeIntervalSince1970
        let backup = jsonObject(result.stdout)
        // Only the final file: no temp file left behind, nothing the collector would read twice.
        #expect(try FileManager.default.contentsOfDirectory(atPath: metrics) == ["sentient-backup-pharaohs.prom"])
        let path = metrics + "/sentient-backup-pharaohs.prom"
        let families = try parseFile(path)
        try expectWellFormed(path, families: families, names: (common + ["size_bytes", "rows"]).map { "sentient_backup_\($0)" })
        let success = try #require(families["sentient_backup_last_success_timestamp_seconds"]?.value(room: "pharaohs"))
        #expect(success >= before - 1 && success <= after + 1)
        #expect(families["sentient_backup_last_attempt_timestamp_seconds"]?.value(room: "pharaohs") == success)
        #expect(families["sentient_backup_last_exit_code"]?.value(room: "pharaohs") == 0)
        let duration = try #require(families["sentient_backup_duration_seconds"]?.value(room: "pharaohs"))
        #expect(duration > 0 && duration <= after - before + 1)
        #expect(families["sentient_backup_size_bytes"]?.value(room: "pharaohs") == (backup["size"] as? NSNumber)?.doubleValue)
        #expect(families["sentient_backup_rows"]?.value(room: "pharaohs") == (backup["total_rows"] as? NSNumber)?.doubleValue)
        #expect((backup["total_rows"] as? Int ?? 0) >= 10)
    }

    @Test("a failed backup records its exit code and keeps the last success's timestamp, size and rows; SENTIENT_METRICS_DIR works")
    func failedBackupKeepsLastSuccess() throws {
        let room = try CLIRoom()
        let metrics = room.dir.file("metrics")
        try FileManager.default.createDirectory(atPath: metrics, withIntermediateDirectories: true)
        let env = ["SENTIENT_METRICS_DIR": metrics]
        let path = metrics + "/sentient-backup-pharaohs.prom"

        // A failure with no earlier file: last success 0 (never), no size or rows.
        let unreachable = ["--pg-port", String(try freeLoopbackPort())]
        let first = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags() + unreachable, environment: env)
        #expect(first.status == 69, "\(first.stderr)")
        var families = try parseFile(path)
        #expect(families["sentient_backup_last_success_timestamp_seconds"]?.value(room: "pharaohs") == 0)
        #expect(families["sentient_backup_last_exit_code"]?.value(room: "pharaohs") == 69)
        #expect(families["sentient_backup_size_bytes"] == nil)

        let ok = try snap(["backup", "pharaohs", room.output, "--allow-root", "--quiet"] + room.flags(), environment: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        let good = try parseFile(path)
        let success = try #require(good["sentient_backup_last_success_timestamp_seconds"]?.value(room: "pharaohs"))
        #expect(success > 0)

        let failed = try snap(["backup", "pharaohs", room.output, "--allow-root"] + room.flags() + unreachable, environment: env)
        #expect(failed.status == 69, "\(failed.stderr)")
        families = try parseFile(path)
        #expect(families["sentient_backup_last_exit_code"]?.value(room: "pharaohs") == 69)
        #expect(families["sentient_backup_last_success_timestamp_seconds"]?.value(room: "pharaohs") == success)
        #expect(try #require(families["sentient_backup_last_attempt_timestamp_seconds"]?.value(room: "pharaohs")) >= success)
        for name in ["sentient_backup_size_bytes", "sentient_backup_rows"] {
            #expect(families[name]?.value(room: "pharaohs") != nil)
            #expect(families[name]?.value(room: "pharaohs") == good[name]?.value(room: "pharaohs"), "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: metrics) == ["sentient-backup-pharaohs.prom"])
    }

    @Test("restore, prune and sync-offsite write their files; backup-all one per room; dry runs write none")
    func otherCommands() throws {
        let room = try CLIRoom()
        let metrics = room.dir.file("metrics")
        try FileManager.default.createDirectory(atPath: metrics, withIntermediateDirectories: true)
        let backup = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags())
        #expect(backup.status == 0, "\(backup.stderr)")
        let archive = try #require(jsonObject(backup.stdout)["archive"] as? String)

        let restoreArgs = ["restore", "pharaohs", archive, "--allow-root", "--force", "--room-control", "none", "--no-wait", "--no-mqtt", "--metrics-dir", metrics] + room.flags()
        let dry = try snap(restoreArgs + ["--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: metrics).isEmpty)
        let restore = try snap(restoreArgs + ["--json"])
        #expect(restore.status == 0, "\(restore.stderr)")
        var path = metrics + "/sentient-restore-pharaohs.prom"
        var families = try parseFile(path)
        try expectWellFormed(path, families: families, names: (common + ["rows"]).map { "sentient_restore_\($0)" })
        #expect(families["sentient_restore_last_exit_code"]?.value(room: "pharaohs") == 0)
        #expect(families["sentient_restore_rows"]?.value(room: "pharaohs") == (jsonObject(restore.stdout)["rows_restored"] as? NSNumber)?.doubleValue)

        // An older copy for prune to delete.
        let old = room.output + "/sentient-pharaohs-20200101-000000.tar.gz"
        try FileManager.default.copyItem(atPath: archive, toPath: old)
        let oldSize = try #require(try FileManager.default.attributesOfItem(atPath: old)[.size] as? NSNumber).doubleValue
        let prune = try snap(["prune", room.output, "--keep-last", "1", "--allow-root", "--quiet", "--metrics-dir", metrics])
        #expect(prune.status == 0, "\(prune.stderr)")
        path = metrics + "/sentient-prune.prom"
        families = try parseFile(path)
        try expectWellFormed(path, families: families, names: (common + ["files_deleted", "freed_bytes"]).map { "sentient_prune_\($0)" })
        #expect(families["sentient_prune_files_deleted"]?.value(room: nil) == 1)
        #expect(families["sentient_prune_freed_bytes"]?.value(room: nil) == oldSize)
        #expect(!FileManager.default.fileExists(atPath: old))

        let target = room.dir.file("offsite")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let sync = try snap(["sync-offsite", room.output, target, "--allow-root", "--quiet", "--metrics-dir", metrics])
        #expect(sync.status == 0, "\(sync.stderr)")
        path = metrics + "/sentient-sync-offsite.prom"
        families = try parseFile(path)
        try expectWellFormed(path, families: families, names: (common + ["files_transferred", "files_deleted"]).map { "sentient_offsite_sync_\($0)" })
        #expect(families["sentient_offsite_sync_files_transferred"]?.value(room: nil) == 2)
        #expect(families["sentient_offsite_sync_last_exit_code"]?.value(room: nil) == 0)
        // A failed sync (the source is gone) keeps the success's timestamp.
        let success = families["sentient_offsite_sync_last_success_timestamp_seconds"]?.value(room: nil)
        let failedSync = try snap(["sync-offsite", room.dir.file("no-such-dir"), target, "--allow-root", "--quiet", "--metrics-dir", metrics])
        #expect(failedSync.status != 0)
        families = try parseFile(path)
        #expect(families["sentient_offsite_sync_last_exit_code"]?.value(room: nil) == Double(failedSync.status))
        #expect(families["sentient_offsite_sync_last_success_timestamp_seconds"]?.value(room: nil) == success)

        // backup-all: one file per room, the same families as backup.
        let db = room.database.settings
        let settings = "SENTIENT_HOST=\(db.host!)\nSENTIENT_PG_USER=\(db.user!)\nSENTIENT_PG_DATABASE=\(room.database.name)\nSENTIENT_ROOMS_DIR=\(room.rooms)\n"
        try room.writeEnv(settings + "SENTIENT_PG_PORT=\(db.port!)\n")
        try room.writeEnv(settings + "SENTIENT_PG_PORT=\(try freeLoopbackPort())\n", room: "broken")
        try FileManager.default.copyItem(atPath: room.rooms + "/pharaohs", toPath: room.rooms + "/broken")
        let all = try snap(["backup-all", room.output, "--env-dir", room.env, "--allow-root", "--quiet", "--metrics-dir", metrics])
        #expect(all.status == 1, "\(all.stderr)")
        let ok = try parseFile(metrics + "/sentient-backup-pharaohs.prom")
        #expect(ok["sentient_backup_last_exit_code"]?.value(room: "pharaohs") == 0)
        let broken = try parseFile(metrics + "/sentient-backup-broken.prom")
        #expect(broken["sentient_backup_last_exit_code"]?.value(room: "broken") == 69)
        #expect(try FileManager.default.contentsOfDirectory(atPath: metrics).sorted() == [
            "sentient-backup-broken.prom", "sentient-backup-pharaohs.prom", "sentient-prune.prom",
            "sentient-restore-pharaohs.prom", "sentient-sync-offsite.prom",
        ])
    }

    @Test("status --prometheus: each room's newest backup as gauges; status --json has its size and Unix time")
    func statusPrometheus() throws {
        let room = try CLIRoom()
        let backup = try snap(["backup", "pharaohs", room.output, "--json", "--allow-root"] + room.flags())
        #expect(backup.status == 0, "\(backup.stderr)")
        let size = (jsonObject(backup.stdout)["size"] as? NSNumber)?.doubleValue
        let result = try snap(["status", room.output, "--prometheus"])
        #expect(result.status == 0, "\(result.stderr)")
        let families = try parsePrometheus(result.stdout)
        #expect(families["sentient_status_ok"]?.value(room: "pharaohs") == 1)
        #expect(families["sentient_status_newest_backup_verified"]?.value(room: "pharaohs") == 1)
        #expect(families["sentient_status_newest_backup_size_bytes"]?.value(room: "pharaohs") == size)
        let stamp = try #require(families["sentient_status_newest_backup_timestamp_seconds"]?.value(room: "pharaohs"))
        #expect(abs(stamp - Date().timeIntervalSince1970) < 120)
        #expect(try #require(families["sentient_status_newest_backup_age_seconds"]?.value(room: "pharaohs")) < 120)
        for name in families.keys { #expect(result.stdout.contains("# HELP \(name) ") && result.stdout.contains("# TYPE \(name) gauge")) }

        let json = try snap(["status", room.output, "--json"])
        let statuses = (try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) as? [[String: Any]] ?? []
        #expect((statuses.first?["size"] as? NSNumber)?.doubleValue == size)
        #expect((statuses.first?["unix_time"] as? NSNumber)?.doubleValue == stamp)

        let both = try snap(["status", room.output, "--prometheus", "--json"])
        #expect(both.status == 64)
    }
}

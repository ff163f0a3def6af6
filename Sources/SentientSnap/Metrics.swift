import Foundation

/// Prometheus metrics in node_exporter's textfile-collector format: one `.prom` file per
/// command and room, rewritten after every run (temp file + rename, so the collector never
/// reads half a file). A failed run keeps the last success's timestamp and values from the
/// previous file, so `time() - sentient_backup_last_success_timestamp_seconds` keeps growing.
public enum MetricsKind: String, Sendable, CaseIterable {
    case backup
    case restore
    case offsiteSync = "offsite_sync"
    case prune

    /// The metric name prefix, e.g. `sentient_backup`.
    public var prefix: String { "sentient_\(rawValue)" }

    /// The file name's command part (the CLI's command name).
    public var command: String {
        switch self {
        case .backup: return "backup"
        case .restore: return "restore"
        case .offsiteSync: return "sync-offsite"
        case .prune: return "prune"
        }
    }

    var noun: String {
        switch self {
        case .backup: return "backup"
        case .restore: return "restore"
        case .offsiteSync: return "offsite sync"
        case .prune: return "prune"
        }
    }

    /// What a successful run measured (name after the prefix, help text); a failed run
    /// repeats the previous file's values.
    var outcomeMetrics: [(name: String, help: String)] {
        switch self {
        case .backup:
            return [("size_bytes", "Size in bytes of the archive the last successful backup wrote."),
                    ("rows", "Table rows the last successful backup dumped.")]
        case .restore:
            return [("rows", "Table rows the last successful restore loaded.")]
        case .offsiteSync:
            return [("files_transferred", "Files the last successful offsite sync copied."),
                    ("files_deleted", "Files the last successful offsite sync deleted on the target (--delete).")]
        case .prune:
            return [("files_deleted", "Archives the last successful prune deleted."),
                    ("freed_bytes", "Bytes the last successful prune freed.")]
        }
    }
}

/// One finished run of a command, as its metrics file records it.
public struct MetricsRun: Sendable {
    public var kind: MetricsKind
    public var room: String?
    public var started: Date
    public var finished: Date
    /// 0 for success, else the command's exit status.
    public var exitCode: Int32
    /// The kind's outcome values by name (`MetricsKind.outcomeMetrics`); used only on success.
    public var values: [String: Double]

    public init(kind: MetricsKind, room: String?, started: Date, finished: Date = Date(), exitCode: Int32, values: [String: Double] = [:]) {
        self.kind = kind
        self.room = room
        self.started = started
        self.finished = finished
        self.exitCode = exitCode
        self.values = values
    }
}

public enum MetricsFile {
    /// `sentient-backup-pharaohs.prom`, or `sentient-sync-offsite.prom` without a room.
    public static func fileName(_ kind: MetricsKind, room: String?) -> String {
        "sentient-\(kind.command)\(room.map { "-\($0)" } ?? "").prom"
    }

    /// Writes the run's file into `directory` atomically; returns its path. On failure the
    /// last success's values come from the file being replaced.
    @discardableResult
    public static func write(_ run: MetricsRun, directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(fileName(run.kind, room: run.room))
        let previous = run.exitCode == 0 ? [:] : previousValues(path, kind: run.kind)
        let text = render(run, previous: previous)
        // Hidden and not *.prom: the collector ignores the temp file.
        let temp = (directory as NSString).appendingPathComponent(".\(fileName(run.kind, room: run.room)).\(getpid()).tmp")
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SnapError(.ioFailure, "cannot write metrics into \(directory): \(String(cString: strerror(errno))); the run's outcome is unchanged, only its metrics are missing")
        }
        let bytes = Array(text.utf8)
        var written = 0
        var failure: Int32 = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; failure = errno; break }
            written += n
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        fchmod(fd, 0o644)
        close(fd)
        if failure == 0 && rename(temp, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temp)
            throw SnapError(.ioFailure, "cannot write \(path): \(String(cString: strerror(failure))); the run's outcome is unchanged, only its metrics are missing")
        }
        return path
    }

    /// The file's text: HELP and TYPE for every family, one sample each.
    public static func render(_ run: MetricsRun, previous: [String: Double] = [:]) -> String {
        let kind = run.kind
        let labels = run.room.map { "{room=\"\(escapeLabel($0))\"}" } ?? ""
        let succeeded = run.exitCode == 0
        var out = ""
        func family(_ name: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            let full = "\(kind.prefix)_\(name)"
            out += "# HELP \(full) \(help)\n# TYPE \(full) gauge\n\(full)\(labels) \(format(value))\n"
        }
        let lastSuccess = succeeded ? run.finished.timeIntervalSince1970 : previous["last_success_timestamp_seconds"] ?? 0
        family("last_success_timestamp_seconds", "Unix time the last successful \(kind.noun) finished (0: none recorded).", lastSuccess)
        family("last_attempt_timestamp_seconds", "Unix time the last \(kind.noun) attempt finished, successful or not.", run.finished.timeIntervalSince1970)
        family("last_exit_code", "Exit status of the last \(kind.noun) attempt (0: success).", Double(run.exitCode))
        family("duration_seconds", "Seconds the last \(kind.noun) attempt took.", max(0, run.finished.timeIntervalSince(run.started)))
        for metric in kind.outcomeMetrics {
            family(metric.name, metric.help, succeeded ? run.values[metric.name] : previous[metric.name])
        }
        return out
    }

    /// The sample values of the kind's families in an earlier file, by name after the prefix;
    /// empty when there is none or it cannot be read.
    public static func previousValues(_ path: String, kind: MetricsKind) -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        var values: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            let name = series.firstIndex(of: "{").map { series[..<$0] } ?? series
            guard name.hasPrefix(kind.prefix + "_") else { continue }
            values[String(name.dropFirst(kind.prefix.count + 1))] = value
        }
        return values
    }

    /// `status --prometheus`: each room's newest backup, as `status` found it.
    public static func renderStatus(_ statuses: [RoomBackupStatus]) -> String {
        let families: [(name: String, help: String, value: (RoomBackupStatus) -> Double?)] = [
            ("sentient_status_ok", "1 when the room's newest backup is recent enough and verifies (status's OK), else 0.", { $0.ok ? 1 : 0 }),
            ("sentient_status_newest_backup_timestamp_seconds", "Unix time in the name of the room's newest backup.", { $0.unix_time }),
            ("sentient_status_newest_backup_age_seconds", "Age in seconds of the room's newest backup.", { $0.age_seconds }),
            ("sentient_status_newest_backup_size_bytes", "Size in bytes of the room's newest backup.", { $0.size.map(Double.init) }),
            ("sentient_status_newest_backup_verified", "1 when the room's newest backup verified end to end, else 0.", { $0.archive == nil ? nil : ($0.verified ? 1 : 0) }),
        ]
        var out = ""
        for family in families {
            let samples = statuses.compactMap { status in family.value(status).map { "\(family.name){room=\"\(escapeLabel(status.room))\"} \(format($0))\n" } }
            guard !samples.isEmpty else { continue }
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) gauge\n" + samples.joined()
        }
        return out
    }

    /// Whole numbers without a fraction, others with milliseconds.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.3f", value)
    }

    static func escapeLabel(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

extension BackupResult {
    /// The values `MetricsKind.backup` records for a successful run.
    public var metricValues: [String: Double] { ["size_bytes": Double(size), "rows": Double(total_rows)] }
}

extension RestoreResult {
    public var metricValues: [String: Double] { ["rows": Double(rows_restored)] }
}

extension OffsiteSyncResult {
    public var metricValues: [String: Double] { ["files_transferred": Double(transferred.count), "files_deleted": Double(deleted.count)] }
}

extension PruneResult {
    public var metricValues: [String: Double] {
        ["files_deleted": Double(rooms.reduce(0) { $0 + $1.deleted.count }), "freed_bytes": Double(bytes_freed)]
    }
}

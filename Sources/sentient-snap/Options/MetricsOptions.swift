import ArgumentParser
import Foundation
import SentientSnap

/// `--metrics-dir DIR`: after the run, a Prometheus textfile for node_exporter's collector.
struct MetricsOptions: ParsableArguments {
    @Option(name: .customLong("metrics-dir"), help: "After the run, write Prometheus metrics for node_exporter's textfile collector into this directory, one sentient-<command>[-<room>].prom file (default: SENTIENT_METRICS_DIR, else none).")
    var metricsDir: String?

    var directory: String? {
        if let metricsDir { return metricsDir }
        let env = ProcessInfo.processInfo.environment["SENTIENT_METRICS_DIR"] ?? ""
        return env.isEmpty ? nil : env
    }

    /// Runs `body`, then writes the run's metrics, success or failure, and rethrows its outcome.
    /// The body puts a successful run's values into `MetricsContext.shared.values`.
    /// - Parameter skip: write nothing (a dry run measures nothing).
    func record(_ kind: MetricsKind, room: String?, skip: Bool = false, _ body: () throws -> Void) throws {
        guard directory != nil, !skip else { return try body() }
        let started = Date()
        MetricsContext.shared.values = [:]
        do {
            try body()
        } catch {
            let code = (error as? ExitCode)?.rawValue ?? ExitStatus.code(for: error)
            write(MetricsRun(kind: kind, room: room, started: started, exitCode: code, values: MetricsContext.shared.values))
            throw error
        }
        write(MetricsRun(kind: kind, room: room, started: started, exitCode: 0, values: MetricsContext.shared.values))
    }

    /// Writes one run's file; a failure to write is a warning and never changes the exit status.
    func write(_ run: MetricsRun) {
        guard let directory else { return }
        do {
            try MetricsFile.write(run, directory: directory)
        } catch {
            FileHandle.standardError.write(Data("sentient-snap: warning: \(error)\n".utf8))
        }
    }
}

/// The values of the running command's successful run, for its metrics file.
final class MetricsContext: @unchecked Sendable {
    static let shared = MetricsContext()
    private let lock = NSLock()
    private var _values: [String: Double] = [:]

    var values: [String: Double] {
        get { lock.withLock { _values } }
        set { lock.withLock { _values = newValue } }
    }
}

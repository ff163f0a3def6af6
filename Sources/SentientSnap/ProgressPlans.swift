import Foundation
import PGDump

/// Where a restore is, for progress (`RestoreEvent.phase`): the plain step lines say the same in words.
public enum RestorePhase: Sendable, Equatable {
    /// Checking the whole archive (`archiveBytes` of it, compressed).
    case verify(archiveBytes: Int64)
    /// Loading the database (staging or in place): the manifest's tables, empty when it lists none.
    case load(tables: [TableDumpStats])
    case swap
    case restart
    case mqtt
    case ready
}

/// The steps of each long command, with the weights that make one bar for the whole run.
public enum ProgressPlans {
    /// A backup's data phase: one step per table, sized by the catalog's estimate (corrected as
    /// tables finish).
    public static func backup(_ tables: [PlannedTable]) -> [ProgressStep] {
        tables.map {
            ProgressStep(phase: "dump", name: "\($0.schema).\($0.name)", total: Double($0.estimatedBytes), rows: $0.estimatedRows, estimated: true)
        }
    }

    /// Shares of the whole restore by phase: reading and checking the archive, the schema, the
    /// data (split between tables by their bytes), indexes and constraints, the short steps at
    /// the end. Fixed, so learning the tables after the check changes nothing already shown;
    /// rough by nature: the time left follows the measured pace, and the bar never goes back.
    static let verifyShare = 0.2, schemaShare = 0.02, loadShare = 0.55, indexShare = 0.19, shortShare = 0.01

    /// A restore before the archive is verified: its tables are not known yet, so the load is one
    /// step; `restoreLoad` replaces it once the manifest is read.
    public static func restore(archiveBytes: Int64) -> [ProgressStep] {
        [ProgressStep(phase: "verify", total: Double(archiveBytes), weight: verifyShare)]
            + restoreLoad(tables: [ProgressStep(phase: "load", total: 0, weight: loadShare)])
    }

    /// The steps from the load on, from the manifest's tables (their exact COPY sizes and rows).
    public static func restoreLoad(_ tables: [TableDumpStats]) -> [ProgressStep] {
        let data = tables.reduce(0.0) { $0 + Double($1.bytes) }
        guard data > 0 else { return restoreLoad(tables: [ProgressStep(phase: "load", total: 0, weight: loadShare)]) }
        return restoreLoad(tables: tables.map {
            ProgressStep(phase: "load", name: "\($0.schema).\($0.name)", total: Double($0.bytes), rows: $0.rows, weight: loadShare * Double($0.bytes) / data)
        })
    }

    static func restoreLoad(tables: [ProgressStep]) -> [ProgressStep] {
        [ProgressStep(phase: "schema", unit: .items, total: 0, weight: schemaShare)] + tables + [
            ProgressStep(phase: "indexes", unit: .items, total: 0, weight: indexShare),
            ProgressStep(phase: "swap", unit: .items, total: 1, weight: shortShare),
            ProgressStep(phase: "restart", unit: .items, total: 1, weight: shortShare),
            ProgressStep(phase: "mqtt", unit: .items, total: 1, weight: shortShare),
            ProgressStep(phase: "ready", unit: .items, total: 1, weight: shortShare),
        ]
    }

    /// `verify`: one step, the archive's compressed bytes.
    public static func verify(archiveBytes: Int64) -> [ProgressStep] {
        [ProgressStep(phase: "verify", total: Double(archiveBytes))]
    }
}

extension ProgressModel {
    /// Feeds one restore event into the model; false when the event says nothing about progress.
    @discardableResult
    public mutating func apply(_ event: RestoreEvent) -> Bool {
        switch event {
        case .warning, .step:
            return false
        case .phase(.verify):
            index(phase: "verify").map { begin($0) }
        case .verifying(let bytes):
            update(done: Double(bytes))
        case .phase(.load(let tables)):
            // The one-pass restore checks the archive while it loads: no verify step of its own,
            // and its share goes to the steps that remain instead of showing as a jump.
            let verifiedInPass = index(phase: "verify").map(untouched) ?? false
            replan(from: verifiedInPass ? "verify" : "schema", with: ProgressPlans.restoreLoad(tables))
            index(phase: "schema").map { begin($0) }
        case .phase(.swap):
            index(phase: "swap").map { begin($0) }
        case .phase(.restart):
            index(phase: "restart").map { begin($0) }
        case .phase(.mqtt):
            index(phase: "mqtt").map { begin($0) }
        case .phase(.ready):
            index(phase: "ready").map { begin($0) }
        case .progress(.schema(let done, let total)):
            guard let i = index(phase: "schema") else { return false }
            update(i, done: Double(done), total: Double(total))
        case .progress(.data(let table, let rows, let bytes)):
            // Archives whose manifest lists no tables load as one step, counted by nothing.
            guard let i = index(phase: "load", name: table) else { return false }
            update(i, done: Double(bytes), rows: rows)
        case .progress(.postData(let done, let total)):
            guard let i = index(phase: "indexes") else { return false }
            update(i, done: Double(done), total: Double(total))
        }
        return true
    }
}

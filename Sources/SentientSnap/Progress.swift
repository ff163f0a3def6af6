import Foundation

/// One step of a long run whose size is known or estimated before it starts: a table's COPY,
/// the archive check, the indexes. Each step counts in its own unit (bytes or items).
public struct ProgressStep: Sendable, Equatable {
    public enum Unit: Sendable, Equatable { case bytes, items }

    /// What the run is doing: "dump", "verify", "schema", "load", "indexes", "swap", ...
    public var phase: String
    /// The table or file, "" when the phase is the step.
    public var name: String
    public var unit: Unit
    /// Expected units; 0 when unknown until the step says (the number of indexes).
    public var total: Double
    /// Expected rows (a table's), shown as done/expected; nil when not a table or not known.
    public var rows: Int64?
    /// The step's share of the whole run, in bytes' worth of work; nil: its (corrected) total,
    /// so a table weighs what it moves.
    public var weight: Double?
    /// The total is an estimate (the catalog's sizes): corrected as steps finish. False when exact
    /// (the manifest's sizes).
    public var estimated: Bool

    public init(phase: String, name: String = "", unit: Unit = .bytes, total: Double, rows: Int64? = nil, weight: Double? = nil, estimated: Bool = false) {
        self.phase = phase
        self.name = name
        self.unit = unit
        self.total = total
        self.rows = rows
        self.weight = weight
        self.estimated = estimated
    }
}

/// What a progress line or JSON object shows at one moment.
public struct ProgressSnapshot: Sendable, Equatable {
    public var phase: String
    public var step: String
    /// 1-based position of the step within its phase, and the phase's step count.
    public var stepIndex: Int
    public var stepCount: Int
    /// The whole run, 0...1: never goes back, 1 only once the run finished.
    public var fraction: Double
    /// The current step, 0...1, never going back while the step runs.
    public var stepFraction: Double
    public var unit: ProgressStep.Unit
    /// The current step's rows, and the expected count when known.
    public var rows: Int64?
    public var rowsTotal: Int64?
    /// The current phase's units done and expected (bytes for data, items for indexes).
    public var done: Double
    public var total: Double
    /// Bytes written so far (a backup's compressed archive), when the run reports them.
    public var written: Int64?
    /// Smoothed units per second of the current phase; nil until measured.
    public var rate: Double?
    public var elapsed: Double
    /// Smoothed time left for the whole run; nil until there is a rate to go by.
    public var remaining: Double?
    public var finished: Bool
}

/// The progress of one run: a plan of steps, what each has done, and the smoothed rates that give
/// the time left. Pure and clock-free (the caller passes the time), so tests drive it directly.
///
/// Estimates are corrected as the run goes (a finished table's real size scales the ones not yet
/// read; the current table is extrapolated from its rows), but what it shows never goes back: the
/// fraction holds its highest value, stays below 100 % until `finish()`, and is 100 % after.
public struct ProgressModel: Sendable {
    public private(set) var steps: [ProgressStep]
    public private(set) var current = 0
    private var done: [Double]
    private var rows: [Int64?]
    private var finished: [Bool]
    private var written: Int64?
    private var allFinished = false
    private let startedAt: Double

    // What was shown, held so it never goes back.
    private var shownFraction = 0.0
    private var shownStep = (index: -1, fraction: 0.0)
    // Smoothing: the last samples and the rates (the phase's units per second, the whole run's
    // fraction per second).
    private var phaseSample: (time: Double, done: Double, phase: String)?
    private var fractionSample: (time: Double, fraction: Double)?
    private var rate: Double?
    private var fractionRate: Double?

    /// Seconds a rate is averaged over (exponential smoothing), so a slow chunk does not jerk the time left.
    static let smoothing = 3.0
    /// An estimated step shows at most this much until it ends: a table larger than the catalog said
    /// must not reach 100 % while rows still come.
    static let estimatedCap = 0.99

    public init(steps: [ProgressStep], startedAt: Double) {
        self.steps = steps
        self.startedAt = startedAt
        done = Array(repeating: 0, count: steps.count)
        rows = Array(repeating: nil, count: steps.count)
        finished = Array(repeating: false, count: steps.count)
    }

    /// The first step of `phase` named `name` ("" for any), for callers that know steps by name.
    public func index(phase: String, name: String = "") -> Int? {
        steps.indices.first { steps[$0].phase == phase && (name.isEmpty || steps[$0].name == name) }
    }

    /// Whether step `index` is still ahead and nothing was done in it.
    func untouched(_ index: Int) -> Bool {
        index >= current && index < steps.count && done[index] == 0 && !finished[index]
    }

    /// Moves to step `index`, finishing every step before it (skipped phases count as done).
    /// An index behind the current step is ignored: progress does not go back.
    public mutating func begin(_ index: Int) {
        guard index >= current, index < steps.count else { return }
        for i in current..<index where !finished[i] { finished[i] = true }
        current = index
    }

    /// The current step (or `index`, which becomes current) has done `done` units.
    public mutating func update(_ index: Int? = nil, done units: Double, rows: Int64? = nil, total: Double? = nil, written: Int64? = nil) {
        if let index { begin(index) }
        guard current < steps.count, index == nil || index == current else { return }
        done[current] = max(done[current], units)
        if let rows { self.rows[current] = rows }
        if let total, total > 0 { steps[current].total = total }
        if let written { self.written = written }
    }

    /// The run is over: everything counts as done and the next snapshot shows 100 %.
    public mutating func finish() {
        begin(steps.count - 1)
        if !steps.isEmpty { finished[steps.count - 1] = true }
        allFinished = true
    }

    /// Replaces the steps from `phase` on (a restore learns its tables once the archive is
    /// verified); steps before it keep what they did.
    public mutating func replan(from phase: String, with replacement: [ProgressStep]) {
        let start = steps.firstIndex { $0.phase == phase } ?? steps.count
        guard start >= current else { return }
        steps = Array(steps[..<start]) + replacement
        let count = steps.count - start
        done = Array(done[..<start]) + Array(repeating: 0, count: count)
        rows = Array(rows[..<start]) + Array(repeating: nil, count: count)
        finished = Array(finished[..<start]) + Array(repeating: false, count: count)
    }

    // MARK: - Estimates

    /// Real size over estimate of the finished estimated steps: how far off the catalog is.
    var correction: Double {
        var actual = 0.0, estimate = 0.0
        for i in steps.indices where finished[i] && steps[i].estimated && steps[i].total > 0 {
            actual += done[i]
            estimate += steps[i].total
        }
        return estimate > 0 && actual > 0 ? actual / estimate : 1
    }

    /// The expected size of step `i` now: the real one once finished, an extrapolation while it
    /// runs, the corrected estimate before.
    func expected(_ i: Int, correction: Double) -> Double {
        let step = steps[i]
        if finished[i] { return step.estimated || step.total <= 0 ? done[i] : max(step.total, done[i]) }
        guard step.estimated else { return max(step.total, done[i]) }
        var expected = step.total * correction
        if i == current, let expectedRows = step.rows, expectedRows > 0, let seen = rows[i], seen > 0, done[i] > 0 {
            expected = done[i] / Double(seen) * Double(expectedRows)
        }
        return max(expected, done[i] / Self.estimatedCap)
    }

    func stepFraction(_ i: Int, expected: Double) -> Double {
        if finished[i] { return 1 }
        guard expected > 0 else { return 0 }
        return min(done[i] / expected, steps[i].estimated ? Self.estimatedCap : 1)
    }

    /// The whole run's fraction as computed now (before holding the highest shown).
    func rawFraction() -> Double {
        let correction = correction
        var weighted = 0.0, weights = 0.0
        for i in steps.indices {
            let expected = expected(i, correction: correction)
            let weight = steps[i].weight ?? expected
            weights += weight
            weighted += weight * stepFraction(i, expected: expected)
        }
        return weights > 0 ? weighted / weights : 0
    }

    // MARK: - Snapshot

    /// What to show at `now` (seconds on the same clock as `startedAt`). Call it when drawing,
    /// not on every update: it also advances the smoothed rates.
    public mutating func snapshot(at now: Double) -> ProgressSnapshot {
        let elapsed = max(0, now - startedAt)
        guard !steps.isEmpty else {
            return ProgressSnapshot(
                phase: "", step: "", stepIndex: 0, stepCount: 0, fraction: allFinished ? 1 : 0, stepFraction: allFinished ? 1 : 0,
                unit: .bytes, rows: nil, rowsTotal: nil, done: 0, total: 0, written: written, rate: nil, elapsed: elapsed,
                remaining: allFinished ? 0 : nil, finished: allFinished)
        }
        let correction = correction
        let i = min(current, steps.count - 1)
        let step = steps[i]
        let expectedHere = expected(i, correction: correction)

        // Never back, never 100 % before the end.
        shownFraction = allFinished ? 1 : min(max(shownFraction, rawFraction()), 0.999)
        var stepShown = stepFraction(i, expected: expectedHere)
        if allFinished { stepShown = 1 }
        if shownStep.index == i { stepShown = max(stepShown, shownStep.fraction) }
        shownStep = (i, stepShown)

        // The phase's units: the steps of the same phase and unit around the current one.
        let phaseSteps = steps.indices.filter { steps[$0].phase == step.phase }
        let sameUnit = phaseSteps.filter { steps[$0].unit == step.unit }
        let phaseDone = sameUnit.reduce(0.0) { $0 + done[$1] }
        let phaseTotal = allFinished ? phaseDone : sameUnit.reduce(0.0) { $0 + expected($1, correction: correction) }

        // Rates, smoothed over `smoothing` seconds; a new phase measures its own afresh, a long
        // pause with nothing to show (a confirmation prompt) starts both afresh.
        func smoothed(_ old: Double?, _ instant: Double, _ dt: Double) -> Double {
            old.map { $0 + (1 - exp(-dt / Self.smoothing)) * (instant - $0) } ?? instant
        }
        if let last = phaseSample, last.phase == step.phase, now - last.time <= 5 * Self.smoothing {
            if now - last.time >= 0.05 {
                rate = smoothed(rate, max(0, phaseDone - last.done) / (now - last.time), now - last.time)
                phaseSample = (now, phaseDone, step.phase)
            }
        } else {
            rate = nil
            phaseSample = (now, phaseDone, step.phase)
        }
        if let last = fractionSample, now - last.time <= 5 * Self.smoothing {
            if now - last.time >= 0.05 {
                fractionRate = smoothed(fractionRate, max(0, shownFraction - last.fraction) / (now - last.time), now - last.time)
                fractionSample = (now, shownFraction)
            }
        } else {
            fractionRate = nil
            fractionSample = (now, shownFraction)
        }
        var remaining: Double?
        if allFinished {
            remaining = 0
        } else if let fractionRate, fractionRate > 0, elapsed >= 1 {
            remaining = (1 - shownFraction) / fractionRate
        }
        return ProgressSnapshot(
            phase: step.phase, step: step.name,
            stepIndex: (phaseSteps.firstIndex(of: i) ?? 0) + 1, stepCount: phaseSteps.count,
            fraction: shownFraction, stepFraction: stepShown, unit: step.unit,
            rows: rows[i], rowsTotal: step.rows.map { max($0, rows[i] ?? 0) },
            done: phaseDone, total: max(phaseTotal, phaseDone), written: written,
            rate: rate, elapsed: elapsed, remaining: remaining, finished: allFinished)
    }
}

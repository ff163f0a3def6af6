import ArgumentParser
import Foundation
import SentientSnap
import Synchronization

/// `--progress`: how a long command shows where it is on stderr.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// A bar on one line when stderr is a terminal and neither --quiet nor --json is given; else nothing.
    case auto
    /// One JSON object per update (restic's --json style), with or without a terminal.
    case json
    case none
}

struct ProgressOptions: ParsableArguments {
    @Option(name: .customLong("progress"), help: "Progress on stderr: auto (a one-line bar with percentage, rate and time left when stderr is a terminal and neither --quiet nor --json is given), json (one JSON object per update, also without a terminal), none.")
    var mode: ProgressMode = .auto

    /// The reporter these options and the output flags ask for.
    func reporter(_ output: OutputOptions) -> ProgressReporter {
        reporter(quiet: output.quiet, json: output.json)
    }

    func reporter(quiet: Bool, json: Bool) -> ProgressReporter {
        switch mode {
        case .json: return ProgressReporter(style: .json)
        case .none: return ProgressReporter(style: .off)
        case .auto:
            let terminal = isatty(STDERR_FILENO) == 1 && !quiet && !json
            return ProgressReporter(style: terminal ? .terminal : .off)
        }
    }
}

/// Draws a `ProgressModel` on stderr: one line that rewrites itself (fitted to the terminal's
/// width, at most ten times a second, cleared at the end) or one JSON object per update.
/// Updates come per COPY chunk from any thread; between draws one costs a lock and a clock read.
final class ProgressReporter: Sendable {
    enum Style: Sendable { case off, terminal, json }

    let style: Style
    /// Seconds between draws. SENTIENT_PROGRESS_INTERVAL (seconds) overrides it, for the tests
    /// that read the line at many points of a short run.
    let interval: Double
    private struct State {
        var model = ProgressModel(steps: [], startedAt: 0)
        var planned = false
        var lastDraw = -Double.infinity
        var lastPhase = ""
        var shown = false
    }
    private let state: Mutex<State>

    init(style: Style) {
        self.style = style
        interval = ProcessInfo.processInfo.environment["SENTIENT_PROGRESS_INTERVAL"].flatMap(Double.init) ?? 0.1
        state = Mutex(State())
    }

    var enabled: Bool { style != .off }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Starts (or restarts) the run with these steps.
    func plan(_ steps: [ProgressStep]) {
        guard enabled else { return }
        state.withLock { state in
            state.model = ProgressModel(steps: steps, startedAt: Self.now())
            state.planned = true
        }
    }

    /// For `S3Fetch`'s progress: plans the run with `steps(size)` when the download starts, then
    /// counts its bytes in the "download" step. Nil when off (nothing to measure).
    func download(_ steps: @escaping (Int64) -> [ProgressStep]) -> ((Int64, Int64) -> Void)? {
        guard enabled else { return nil }
        return { bytes, total in
            if bytes == 0 && !self.state.withLock({ $0.planned }) { self.plan(steps(total)) }
            self.update { model in
                guard let step = model.index(phase: "download") else { return false }
                model.update(step, done: Double(bytes))
                return true
            }
        }
    }

    /// Changes the model and draws when it is time (or the phase changed, so each phase shows).
    func update(_ change: (inout ProgressModel) -> Bool) {
        guard enabled else { return }
        state.withLock { state in
            guard state.planned, change(&state.model) else { return }
            let now = Self.now()
            let phase = state.model.steps.indices.contains(state.model.current) ? state.model.steps[state.model.current].phase : ""
            guard now - state.lastDraw >= interval || phase != state.lastPhase else { return }
            state.lastPhase = phase
            state.lastDraw = now
            draw(state.model.snapshot(at: now), &state)
        }
    }

    /// The run finished: shows 100 % once, then clears the line.
    func finish() {
        guard enabled else { return }
        state.withLock { state in
            guard state.planned else { return }
            state.model.finish()
            draw(state.model.snapshot(at: Self.now()), &state)
            state.planned = false
            clear(&state)
        }
    }

    /// Removes the line (before a warning, a step line or the summary); the next update redraws it.
    func clear() {
        guard style == .terminal else { return }
        state.withLock { clear(&$0) }
    }

    private func clear(_ state: inout State) {
        if state.shown { write("\r\u{1B}[K") }
        state.shown = false
        state.lastDraw = -Double.infinity
    }

    private func draw(_ snapshot: ProgressSnapshot, _ state: inout State) {
        switch style {
        case .off:
            break
        case .terminal:
            write("\r\u{1B}[K" + ProgressFormat.line(snapshot, width: Self.terminalWidth()))
            state.shown = true
        case .json:
            write(ProgressFormat.json(snapshot) + "\n")
        }
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
        bytes.removeAll()
    }

    /// Columns of the terminal on stderr (TIOCGWINSZ), 80 when it does not say.
    static func terminalWidth() -> Int {
        var size = winsize()
        let ok = withUnsafeMutablePointer(to: &size) { ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), $0) } == 0
        return ok && size.ws_col > 0 ? Int(size.ws_col) : 80
    }
}

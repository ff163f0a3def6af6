import Foundation
import SentientSnap
import Synchronization

/// `backup-all`'s bar: one step per room, in order, each the room's own backup's fraction (its
/// tables, then its encryption), so the line says the rooms done of all and the room being backed
/// up with its percentage: ` 45% [=====>      ] backup 2/3 sphinx 36% | 1/3 | ETA 0:12`.
/// Rooms weigh the same (a room's size is known only once its backup starts); the time left
/// follows the measured pace. With `--parallel` above 1 several rooms run at once and no one of
/// them is "the current room": one step counts the rooms done, each running one by its fraction.
final class BackupAllProgress: Sendable {
    let reporter: ProgressReporter
    private let rooms: [String]
    private let sequential: Bool
    private struct State {
        var models: [String: ProgressModel] = [:]
        var fractions: [String: Double] = [:]
        var computed: [String: Double] = [:]
    }
    private let state = Mutex(State())

    init(reporter: ProgressReporter, rooms: [String], parallel: Int) {
        self.reporter = reporter
        self.rooms = rooms
        sequential = parallel <= 1 || rooms.count <= 1
        reporter.plan(sequential
            ? rooms.map { ProgressStep(phase: "backup", name: $0, unit: .items, total: 1, weight: 1) }
            : [ProgressStep(phase: "backup", unit: .items, total: Double(rooms.count), weight: 1)])
    }

    /// One event of `room`'s backup; `encrypted`: the room's backup has `--encrypt-to`.
    func event(_ event: BackupEvent, room: String, encrypted: Bool) {
        guard reporter.enabled else { return }
        let now = ProgressReporter.now()
        let changed = state.withLock { state -> Bool in
            if case .planned(let tables) = event {
                state.models[room] = ProgressModel(steps: ProgressPlans.backup(tables, encrypted: encrypted), startedAt: now)
            } else if state.models[room]?.apply(event) != true {
                return false
            }
            // A snapshot walks the room's tables: at most once per redraw interval, not per COPY chunk.
            guard now - (state.computed[room] ?? -.infinity) >= reporter.interval, let fraction = state.models[room]?.snapshot(at: now).fraction else {
                return false
            }
            state.computed[room] = now
            state.fractions[room] = fraction
            return true
        }
        if changed { show(room) }
    }

    /// `room` is over (backed up or failed): it counts as done.
    func done(_ room: String) {
        guard reporter.enabled else { return }
        state.withLock {
            $0.fractions[room] = 1
            $0.models[room] = nil
        }
        show(room)
    }

    private func show(_ room: String) {
        let fractions = state.withLock { $0.fractions }
        if sequential {
            guard let index = rooms.firstIndex(of: room) else { return }
            reporter.update { $0.update(index, done: fractions[room] ?? 0); return true }
        } else {
            reporter.update { $0.update(0, done: fractions.values.reduce(0, +)); return true }
        }
    }
}

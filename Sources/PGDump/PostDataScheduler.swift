import Foundation

/// Hands out post-data entries whose post-data dependencies are done; the first failure
/// stops the hand-out. Like pg_restore, every post-data item but CREATE INDEX is taken to lock
/// the tables it depends on exclusively (ALTER TABLE ... ADD CONSTRAINT takes ACCESS EXCLUSIVE),
/// so such an item never runs beside another on the same table: the connection would only wait
/// on the lock while it could run something else.
// @unchecked: vars change only under `condition` (its waits need NSCondition, not Mutex); read bare only after the workers end.
final class PostDataScheduler: @unchecked Sendable {
    private let items: [TOCEntry]
    private let ids: Set<Int32>
    /// Per item: the tables (TABLE and TABLE DATA entries) it depends on.
    private let tables: [Int32: Set<Int32>]
    private let condition = NSCondition()
    private var started = Set<Int32>()
    private var running: [Int32: TOCEntry] = [:]
    private var done = Set<Int32>()
    private(set) var failure: Error?
    /// Entries that failed without stopping the rest (indexes, "schema.name: reason"), their ids,
    /// and the entries that needed one of them and so were skipped.
    private(set) var failedIndexes: [String] = []
    private var failedIds = Set<Int32>()
    private(set) var skipped: [String] = []

    private let connections: Int

    /// - Parameters:
    ///   - tableIds: the archive's TABLE and TABLE DATA entries.
    ///   - connections: how many connections take entries (to judge "alone").
    init(_ items: [TOCEntry], tableIds: Set<Int32>, connections: Int = 1) {
        self.items = items
        self.connections = connections
        ids = Set(items.map(\.dumpId))
        tables = Dictionary(items.map { ($0.dumpId, Set($0.dependencies).intersection(tableIds)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Not started, its post-data dependencies done, no lock conflict with what runs.
    private func runnable(_ entry: TOCEntry) -> Bool {
        !started.contains(entry.dumpId)
            && entry.dependencies.allSatisfy { !ids.contains($0) || done.contains($0) }
            && !running.values.contains { conflicts($0, entry) }
    }

    private func exclusive(_ entry: TOCEntry) -> Bool { entry.desc != "INDEX" }

    private func conflicts(_ a: TOCEntry, _ b: TOCEntry) -> Bool {
        guard exclusive(a) || exclusive(b) else { return false }
        return !tables[a.dumpId, default: []].isDisjoint(with: tables[b.dumpId, default: []])
    }

    /// The next runnable entry and whether it runs alone, waiting while others run; nil when
    /// all started or one failed.
    func next() -> (TOCEntry, alone: Bool)? {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && started.count < items.count {
            // What needs a failed entry cannot run: skip it (and, in turn, what needs it).
            while let entry = items.first(where: { !started.contains($0.dumpId) && $0.dependencies.contains(where: failedIds.contains) }) {
                started.insert(entry.dumpId)
                done.insert(entry.dumpId)
                failedIds.insert(entry.dumpId)
                skipped.append("\(entry.desc) \(entry.tag)" + (entry.namespace.map { " in schema \($0)" } ?? ""))
                condition.broadcast()
            }
            guard started.count < items.count else { break }
            if let entry = items.first(where: runnable) {
                started.insert(entry.dumpId)
                running[entry.dumpId] = entry
                // Alone: nothing else runs, and nothing could start beside it now (so another
                // connection would idle while this runs), or there is no other connection.
                let alone = running.count == 1 && (connections == 1 || !items.contains(where: runnable))
                return (entry, alone)
            }
            condition.wait()
        }
        return nil
    }

    /// Marks an entry done (or failed, without stopping the rest); returns how many are done.
    func finish(_ entry: TOCEntry, failure reason: String? = nil) -> Int {
        condition.lock()
        defer { condition.unlock() }
        if let reason {
            failedIndexes.append(reason)
            failedIds.insert(entry.dumpId)
        }
        done.insert(entry.dumpId)
        running[entry.dumpId] = nil
        condition.broadcast()
        return done.count
    }

    func fail(_ error: Error) {
        condition.lock()
        defer { condition.unlock() }
        if failure == nil { failure = error }
        condition.broadcast()
    }
}

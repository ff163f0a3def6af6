/// Structural checks on a TOC, run by `readTOC` so that verify, restore, list and export all
/// refuse the same damaged archives before acting on them: a duplicate dump id would crash the
/// post-data scheduler, and a dependency cycle would leave it waiting forever.
public enum TOC {
    /// - Parameter strictDependencies: also refuse dependencies on ids the TOC lacks. Stock
    ///   pg_dump writes such dependencies (the ACL and COMMENT of the `public` schema depend on
    ///   the schema, which has no entry from PostgreSQL 15 on) and pg_restore ignores them, as
    ///   the restore does; our own dumper never writes one, so in our archives one is damage.
    /// - Throws: `DumpError(.corrupt)` naming the entries concerned.
    public static func validate(_ entries: [TOCEntry], strictDependencies: Bool) throws {
        var index: [Int32: Int] = [:]
        index.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            if let first = index.updateValue(i, forKey: entry.dumpId) {
                throw DumpError(.corrupt, "dump TOC has two entries with id \(entry.dumpId) (\(describe(entries[first])) and \(describe(entry))): the dump is damaged")
            }
        }
        // Dependencies as indices; missing ids dropped (or refused when strict).
        var deps: [[Int]] = []
        deps.reserveCapacity(entries.count)
        for entry in entries {
            var list: [Int] = []
            for id in entry.dependencies {
                if let target = index[id] {
                    list.append(target)
                } else if strictDependencies {
                    throw DumpError(.corrupt, "dump TOC entry \(describe(entry)) depends on id \(id), which the dump does not hold: the dump is damaged")
                }
            }
            deps.append(list)
        }
        if let cycle = findCycle(deps) {
            let names = (cycle + [cycle[0]]).map { describe(entries[$0]) }
            throw DumpError(.corrupt, "dump TOC entries depend on each other in a cycle (\(names.joined(separator: " -> "))), so they have no restore order: the dump is damaged")
        }
    }

    static func describe(_ entry: TOCEntry) -> String {
        let name = "\(entry.namespace.map { $0.isEmpty ? "" : "\($0)." } ?? "")\(entry.tag)"
        return "\(entry.dumpId) (\(entry.desc) \(name.prefix(80)))"
    }

    /// One cycle of the graph (indices, each depending on the next), or nil. Iterative
    /// depth-first search, so a long dependency chain cannot overflow the stack.
    static func findCycle(_ deps: [[Int]]) -> [Int]? {
        // 0 unvisited, 1 on the current path, 2 finished.
        var state = [UInt8](repeating: 0, count: deps.count)
        for root in deps.indices where state[root] == 0 {
            var path: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let top = path.last {
                if top.next < deps[top.node].count {
                    path[path.count - 1].next += 1
                    let child = deps[top.node][top.next]
                    switch state[child] {
                    case 0:
                        state[child] = 1
                        path.append((child, 0))
                    case 1:
                        let start = path.firstIndex { $0.node == child }!
                        return path[start...].map(\.node)
                    default:
                        break
                    }
                } else {
                    state[top.node] = 2
                    path.removeLast()
                }
            }
        }
        return nil
    }
}

import Foundation
import PGWire

// The dump's object graph: every dumpable object with its TOC entries and its
// dependencies (from pg_depend), sorted so each object comes after what it needs.

/// A catalog object, as pg_depend names it: (catalog OID, object OID).
struct ObjectKey: Hashable, Comparable {
    var catalog: UInt32
    var oid: UInt32
    static func < (a: ObjectKey, b: ObjectKey) -> Bool { (a.catalog, a.oid) < (b.catalog, b.oid) }
}

/// System catalogs' OIDs (fixed since PostgreSQL 7.x/8.x, see pg_*.h).
enum CatalogID {
    static let pgClass: UInt32 = 1259
    static let pgType: UInt32 = 1247
    static let pgProc: UInt32 = 1255
    static let pgNamespace: UInt32 = 2615
    static let pgConstraint: UInt32 = 2606
    static let pgAttrdef: UInt32 = 2604
    static let pgTrigger: UInt32 = 2620
    static let pgRewrite: UInt32 = 2618
    static let pgExtension: UInt32 = 3079
    static let pgCollation: UInt32 = 3456
    static let pgPolicy: UInt32 = 3256
    static let pgStatisticExt: UInt32 = 3381
    static let pgOpfamily: UInt32 = 2753
    static let pgAmop: UInt32 = 2602
    static let pgAmproc: UInt32 = 2603
    static let pgEventTrigger: UInt32 = 3466
    static let pgPublication: UInt32 = 6104
    static let pgPublicationRel: UInt32 = 6106
    static let pgPublicationNamespace: UInt32 = 6237
    static let pgSubscription: UInt32 = 6100
    static let pgForeignDataWrapper: UInt32 = 2328
    static let pgForeignServer: UInt32 = 1417
    static let pgUserMapping: UInt32 = 1418
    static let pgDefaultACL: UInt32 = 826
    /// pg_dump names large objects by pg_largeobject's OID (LargeObjectRelationId).
    static let pgLargeObject: UInt32 = 2613
    static let pgLargeObjectMetadata: UInt32 = 2995
    static let pgCast: UInt32 = 2605
    static let pgOperator: UInt32 = 2617
    static let pgOpclass: UInt32 = 2616
    static let pgConversion: UInt32 = 2607
    static let pgTransform: UInt32 = 3576
    static let pgLanguage: UInt32 = 2612
    static let pgAm: UInt32 = 2601
    static let pgTSParser: UInt32 = 3601
    static let pgTSTemplate: UInt32 = 3764
}

/// Sort priority of object kinds when dependencies do not decide (after pg_dump_sort.c).
enum ObjectKind: Int, Comparable {
    case encoding = 0, schema, language, `extension`, collation, type, cast, function, aggregate, accessMethod, `operator`,
         foreignDataWrapper, foreignServer, sequence, table, attach, view, sequenceOwnedBy, columnDefault, blob, tableData,
         sequenceSet, blobData, constraint, index, indexAttach, foreignKey, trigger, rule, policy, statistics, publication,
         publicationTable, publicationSchema, subscription, eventTrigger, materializedViewData, defaultACL
    static func < (a: ObjectKind, b: ObjectKind) -> Bool { a.rawValue < b.rawValue }
}

/// A table whose rows go into the archive.
public struct PlannedTable: Sendable {
    public var dumpId: Int32
    public var schema: String
    public var name: String
    /// `COPY ... TO STDOUT` that reads it (explicit column list).
    public var copyOutSQL: String
    var tableOID: UInt32 = 0
    /// The catalog's size of the table (heap and TOAST, `pg_relation_size`) and its row estimate
    /// (`reltuples`; nil when never analyzed), read in the dump's snapshot: what progress
    /// estimates the COPY by before it runs.
    public var estimatedBytes: Int64 = 0
    public var estimatedRows: Int64?
}

/// One dumpable object: its TOC entries (the first is the object itself; later ones, such as
/// COMMENT and ACL, depend on it) and the objects it needs first.
struct DumpObject {
    var key: ObjectKey
    var kind: ObjectKind
    var sortName: String
    var entries: [TOCEntry]
    var dependencies: Set<ObjectKey> = []
    /// Views and functions may move to post-data when they need a post-data object
    /// (a view grouping by a primary key, as pg_dump does).
    var postponable = false
    /// For TABLE DATA: the COPY that reads it.
    var copyOut: PlannedTable?

    var section: DumpSection {
        get { entries[0].section }
        set { entries[0].section = newValue }
    }
}

/// Orders objects: section first, then dependencies (topologically), then kind and name.
/// Dependencies on objects outside the dump are ignored; a cycle is broken at the object
/// of lowest priority, which keeps the output deterministic.
func sortObjects(_ objects: [DumpObject]) -> [DumpObject] {
    var objects = objects
    var index: [ObjectKey: Int] = [:]
    for (i, object) in objects.enumerated() { index[object.key] = i }
    // Postpone what needs a later section.
    var changed = true
    while changed {
        changed = false
        for i in objects.indices where objects[i].postponable {
            let needed = objects[i].dependencies.compactMap { index[$0] }.map { objects[$0].section }.max() ?? .preData
            if needed > objects[i].section && needed != .data {
                objects[i].section = needed
                changed = true
            }
        }
    }
    func rank(_ i: Int) -> (Int32, Int, String) {
        (objects[i].section.rawValue, objects[i].kind.rawValue, objects[i].sortName)
    }
    var remaining = Set(objects.indices)
    var pendingDeps: [Int: Set<Int>] = [:]
    var dependents: [Int: [Int]] = [:]
    for i in objects.indices {
        let deps = Set(objects[i].dependencies.compactMap { index[$0] }.filter { $0 != i })
        pendingDeps[i] = deps
        for d in deps { dependents[d, default: []].append(i) }
    }
    var ready = objects.indices.filter { pendingDeps[$0]!.isEmpty }
    var order: [Int] = []
    while !remaining.isEmpty {
        if ready.isEmpty {
            // Stuck: every remaining object waits on another, so following waits from any of
            // them runs into a cycle. Break that cycle at one edge, nothing else.
            var path: [Int] = []
            var seen: [Int: Int] = [:]
            var current = remaining.min { rank($0) < rank($1) }!
            while seen[current] == nil {
                seen[current] = path.count
                path.append(current)
                current = pendingDeps[current]!.min { rank($0) < rank($1) }!
            }
            let cycle = Array(path[seen[current]!...])
            // Release the edge into the cycle member that ranks best, from its predecessor.
            let target = cycle.min { rank($0) < rank($1) }!
            let position = cycle.firstIndex(of: target)!
            let from = cycle[(position + cycle.count - 1) % cycle.count]
            pendingDeps[from]!.remove(target)
            if pendingDeps[from]!.isEmpty { ready.append(from) }
            if ProcessInfo.processInfo.environment["SENTIENT_SNAP_DEBUG_SORT"] != nil {
                let names = cycle.map { "\(objects[$0].kind) \(objects[$0].sortName)" }
                FileHandle.standardError.write(Data("dependency cycle: \(names.joined(separator: " -> ")); released \(objects[from].sortName) -> \(objects[target].sortName)\n".utf8))
            }
            continue
        }
        ready.sort { rank($0) < rank($1) }
        let next = ready.removeFirst()
        guard remaining.remove(next) != nil else { continue }
        order.append(next)
        for d in dependents[next] ?? [] where remaining.contains(d) {
            pendingDeps[d]!.remove(next)
            if pendingDeps[d]!.isEmpty && !ready.contains(d) { ready.append(d) }
        }
    }
    // Sections must not interleave: stable-sort by section, keeping the topological order within.
    let sorted = order.enumerated().sorted { a, b in
        let sa = objects[a.element].section, sb = objects[b.element].section
        return sa != sb ? sa < sb : a.offset < b.offset
    }
    return sorted.map { objects[$0.element] }
}

/// Gives the sorted objects' entries dump ids and turns object dependencies into entry
/// dependencies. Returns the TOC and the tables whose data is dumped, in TOC order.
func assignDumpIds(_ objects: [DumpObject]) -> ([TOCEntry], [PlannedTable]) {
    var nextId: Int32 = 1
    var mainId: [ObjectKey: Int32] = [:]
    var numbered: [[TOCEntry]] = []
    for object in objects {
        var entries = object.entries
        for i in entries.indices {
            entries[i].dumpId = nextId
            nextId += 1
        }
        mainId[object.key] = entries[0].dumpId
        numbered.append(entries)
    }
    var toc: [TOCEntry] = []
    var tables: [PlannedTable] = []
    for (object, entries) in zip(objects, numbered) {
        let deps = object.dependencies.compactMap { mainId[$0] }.filter { $0 != entries[0].dumpId }.sorted()
        for (i, var entry) in entries.enumerated() {
            if i == 0 {
                // TABLE DATA's first dependency must be its table (pg_restore relies on it).
                entry.dependencies = deps
                if object.kind == .tableData, let table = object.copyOut.flatMap({ mainId[ObjectKey(catalog: CatalogID.pgClass, oid: $0.tableOID)] }) {
                    entry.dependencies = [table] + deps.filter { $0 != table }
                }
            } else {
                entry.dependencies = [entries[0].dumpId]
                // A column's grants come after the table's: the table's ACL starts with REVOKE ALL,
                // which also takes column privileges away (pg_dump's column ACLs depend on the
                // table's ACL entry the same way; pg_restore -j may otherwise run them first).
                if entry.desc == "ACL", entry.tag.hasPrefix("COLUMN "),
                   let tableACL = entries[..<i].first(where: { $0.desc == "ACL" && !$0.tag.hasPrefix("COLUMN ") }) {
                    entry.dependencies.append(tableACL.dumpId)
                }
            }
            toc.append(entry)
        }
        if var table = object.copyOut {
            table.dumpId = entries[0].dumpId
            tables.append(table)
        }
    }
    return (toc, tables)
}

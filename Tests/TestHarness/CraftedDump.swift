import Foundation
import PGDump

/// A small custom-format dump: schema, table, its data, then `post` post-data entries, all as
/// given (ids and dependencies unchecked), written by `dumper`; the table holds `rows`.
public func craftedDump(
    post: [(id: Int32, deps: [Int32])] = [], extraDeps: [Int32] = [], dumper: String = "sentient-snap test", rows: [Int] = [1, 2]
) throws -> [UInt8] {
    var out: [UInt8] = []
    let encoder = CustomArchiveEncoder { out.append(contentsOf: $0) }
    try encoder.writeHeader(DumpHeader(createdAt: Date(timeIntervalSince1970: 1_735_732_800), databaseName: "d", serverVersion: "15", dumperVersion: dumper))
    var table = TOCEntry(dumpId: 1, tag: "t", desc: "TABLE", section: .preData)
    table.defn = "CREATE TABLE public.t (n integer);\n"
    table.namespace = "public"
    table.dependencies = extraDeps
    var data = TOCEntry(dumpId: 2, tag: "t", desc: "TABLE DATA", section: .data)
    data.hadDumper = true
    data.dataOffset = .notSet
    data.copyStmt = "COPY public.t (n) FROM stdin;\n"
    data.namespace = "public"
    data.dependencies = [1]
    var entries = [table, data]
    for (n, item) in post.enumerated() {
        var index = TOCEntry(dumpId: item.id, tag: "t_i\(n)", desc: "INDEX", section: .postData)
        index.defn = "CREATE INDEX t_i\(n) ON public.t (n);\n"
        index.namespace = "public"
        index.dependencies = item.deps
        entries.append(index)
    }
    try encoder.writeTOC(entries)
    try encoder.beginData(dumpId: 2)
    try encoder.writeData(Array((rows.map { "\($0)\n" }.joined() + "\\.\n\n\n").utf8))
    try encoder.endData()
    return out
}

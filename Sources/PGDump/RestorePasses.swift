/// The order in which a TOC is replayed, as pg_restore does it (format doc §7.3): entries
/// describing the archive are set aside, each SECTION_NONE entry (COMMENT, ACL, ...) belongs to
/// the section before it, and ACLs, then materialized view data and event triggers, come after
/// everything else. Shared by the restore engine and the SQL export so both replay alike.
public struct RestorePasses: Sendable {
    /// Indices into the TOC, each list in TOC order.
    public let preData: [Int]
    public let data: [Int]
    public let postData: [Int]
    /// Pass 2: GRANT/REVOKE.
    public let acl: [Int]
    /// Pass 3: materialized view data, event triggers and their comments.
    public let last: [Int]

    /// Describe the archive itself, not objects to create.
    public static let special: Set<String> = ["ENCODING", "STDSTRINGS", "SEARCHPATH", "DATABASE", "DATABASE PROPERTIES"]
    static let aclDescs: Set<String> = ["ACL", "DEFAULT ACL", "ACL LANGUAGE"]
    static let lastDescs: Set<String> = ["MATERIALIZED VIEW DATA", "EVENT TRIGGER"]

    public init(_ entries: [TOCEntry]) {
        var preData: [Int] = [], data: [Int] = [], postData: [Int] = [], acl: [Int] = [], last: [Int] = []
        var current = DumpSection.preData
        let separateDomainChecks = Self.separateDomainChecks(entries)
        for (index, entry) in entries.enumerated() {
            if entry.section != .none { current = entry.section }
            if Self.special.contains(entry.desc) { continue }
            if Self.aclDescs.contains(entry.desc) {
                acl.append(index)
            } else if Self.lastDescs.contains(entry.desc) || (entry.desc == "COMMENT" && entry.tag.hasPrefix("EVENT TRIGGER "))
                        || separateDomainChecks.contains(index) {
                last.append(index)
            } else {
                switch current {
                case .preData, .none: preData.append(index)
                case .data: data.append(index)
                case .postData: postData.append(index)
                }
            }
        }
        (self.preData, self.data, self.postData, self.acl, self.last) = (preData, data, postData, acl, last)
    }

    /// Comments on NOT VALID domain constraints that come before the post-data CHECK CONSTRAINT
    /// entry creating the constraint: pg_dump 16.2 writes them right after the DOMAIN, where
    /// they fail (its own pg_restore --exit-on-error stops there), so they wait for the end.
    static func separateDomainChecks(_ entries: [TOCEntry]) -> Set<Int> {
        var checks = Set<String>()
        var moved = Set<Int>()
        for (index, entry) in entries.enumerated().reversed() {
            if entry.desc == "CHECK CONSTRAINT" { checks.insert("\(entry.namespace ?? "")|\(entry.tag)") }
            guard entry.desc == "COMMENT", entry.tag.hasPrefix("CONSTRAINT "), let on = entry.tag.range(of: " ON DOMAIN ") else { continue }
            let constraint = entry.tag[entry.tag.index(entry.tag.startIndex, offsetBy: 11)..<on.lowerBound]
            if checks.contains("\(entry.namespace ?? "")|\(entry.tag[on.upperBound...]) \(constraint)") { moved.insert(index) }
        }
        return moved
    }
}

extension CustomArchiveDecoder {
    /// Moves forward to the data block of `entry`, skipping other blocks. Blocks are in TOC
    /// order, so a TOC-order replay needs one forward pass over the file.
    /// - Throws: `DumpError(.corrupt)` when the file ends first.
    public func seekBlock(for entry: TOCEntry) throws {
        while let block = try nextBlock() {
            if block.dumpId == entry.dumpId { return }
            try skipBlock(isBlobs: block.isBlobs)
        }
        throw DumpError(.corrupt, "the dump has no data block for \(entry.desc) \(entry.namespace.map { "\($0)." } ?? "")\(entry.tag) (id \(entry.dumpId)): the file is damaged or its blocks are out of order")
    }
}

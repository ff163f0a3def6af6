import Foundation
import PGWire

/// Renders a custom-format dump as the script `pg_restore -f` would print: the session
/// settings, every entry's definition in restore order with its owner, table data as
/// `COPY ... FROM stdin;` followed by the rows and `\.`, sequence values, post-data, then ACLs.
///
/// The archive may be hostile: as pg_dump 15.14+ does, the script opens with `\restrict KEY`
/// (a fresh random key), so psql refuses every meta-command until the closing
/// `\unrestrict KEY`, and names in comment lines never carry a line break.
public final class SQLRenderer {
    /// Takes the script's bytes, in order (each buffer is valid only during the call).
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    private let decoder: CustomArchiveDecoder
    private let sink: Sink
    private let noOwner: Bool
    private let producer: String

    /// - Parameters:
    ///   - noOwner: leave out `ALTER ... OWNER TO`, as `pg_restore --no-owner`.
    ///   - producer: named in the header comment ("sentient-snap 0.1.0 export").
    public init(decoder: CustomArchiveDecoder, noOwner: Bool, producer: String, sink: @escaping Sink) {
        self.decoder = decoder
        self.sink = sink
        self.noOwner = noOwner
        self.producer = producer
    }

    /// The key of `\restrict`: 64 random letters and digits, as pg_dump's.
    let restrictKey: String = {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<64).map { _ in alphabet.randomElement(using: &generator)! })
    }()

    public func render() throws {
        let header = try decoder.readHeader()
        let entries = try decoder.readTOC()
        if let blob = entries.first(where: { ["BLOBS", "BLOB", "BLOB METADATA"].contains($0.desc) }) {
            throw DumpError(.unsupported, "the dump holds large objects (\(blob.desc) \(blob.tag)), which the SQL export cannot render yet; use --dump and pg_restore")
        }
        try text("\\restrict \(restrictKey)\n\n")
        try text("--\n-- PostgreSQL database dump\n--\n\n")
        try text("-- Dumped from database version \(Self.sanitize(header.serverVersion))\n-- Dumped by \(Self.sanitize(header.dumperVersion))\n")
        try text("-- Rendered as SQL by \(producer)\n\n")
        // Targets older than 17 reject transaction_timeout, so it is left out, as pg_restore 16 does.
        try text(try RestoreEngine.preamble(entries: entries, serverVersion: 160000) + "\n\n")

        // The same passes as the restore engine.
        let passes = RestorePasses(entries)
        var tableAM: String?
        for index in passes.preData {
            let entry = entries[index]
            if let am = entry.tableAM, !am.isEmpty, am != tableAM {
                try text("SET default_table_access_method = \(quoteIdentifier(am));\n\n")
                tableAM = am
            }
            try definition(entry)
        }
        for index in passes.data {
            let entry = entries[index]
            guard entry.hadDumper else {
                try definition(entry)
                continue
            }
            try decoder.seekBlock(for: entry)
            try text(comment(entry, prefix: "Data for "))
            if let copy = entry.copyStmt, !copy.isEmpty {
                try text(copy.hasSuffix("\n") ? copy : copy + "\n")
                var counter = RowCounter()
                var wrote: Int64 = 0
                try decoder.readTableData { chunk in
                    try sink(chunk)
                    wrote += Int64(chunk.count)
                    counter.feed(chunk)
                }
                // Data may or may not carry the end marker itself (pg_dump's and ours do).
                if wrote > 0 && !counter.endsWithNewline { try text("\n") }
                if counter.markerLines == 0 { try text("\\.\n") }
                try text("\n")
            } else {
                // Data stored as SQL statements (INSERTs).
                try decoder.readTableData { try sink($0) }
                try text("\n")
            }
        }
        for index in passes.postData { try definition(entries[index]) }
        for index in passes.acl + passes.last { try definition(entries[index]) }
        try text("--\n-- PostgreSQL database dump complete\n--\n\n")
        try text("\\unrestrict \(restrictKey)\n")
    }

    /// The comment above an entry, as pg_dump writes it: `-- Name: t; Type: TABLE; Schema: public; Owner: o`.
    private func comment(_ entry: TOCEntry, prefix: String = "") -> String {
        let owner = noOwner ? "-" : Self.sanitize(entry.owner ?? "-")
        return "--\n-- \(prefix)Name: \(Self.sanitize(entry.tag)); Type: \(Self.sanitize(entry.desc)); Schema: \(Self.sanitize(entry.namespace ?? "-")); Owner: \(owner)\n--\n\n"
    }

    /// Text from the archive made fit for a comment line: psql ends a line (and the comment) at
    /// a line feed or a carriage return, so each becomes a space (pg_dump's `sanitize_line`).
    public static func sanitize(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    }

    private func definition(_ entry: TOCEntry) throws {
        var sql = entry.defn ?? ""
        if !noOwner, let owner = RestoreEngine.ownerStatement(entry) { sql += (sql.hasSuffix("\n") ? "" : "\n") + "\n" + owner + "\n" }
        guard !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        try text(comment(entry))
        try text(sql.hasSuffix("\n") ? sql + "\n" : sql + "\n\n")
    }

    private func text(_ string: String) throws {
        var copy = string
        try copy.withUTF8 { try sink(UnsafeRawBufferPointer($0)) }
    }
}

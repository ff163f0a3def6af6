import Foundation
import PGWire

/// Restores a plain-SQL dump (`pg_dump` without `-F`, the old backup script's fallback
/// `db/database.sql`) over libpq, without psql: statements are split with string literals,
/// quoted identifiers, dollar quotes and comments respected; `COPY ... FROM stdin` takes the
/// lines up to `\.` as data, streamed; `\restrict`/`\unrestrict` are ignored; any other psql
/// meta-command (`\connect` above all) is refused. Stops at the first failing statement.
public final class PlainSQLRestore {
    public typealias Source = CustomArchiveDecoder.Source
    private let target: ConnectionSettings

    public init(target: ConnectionSettings) {
        self.target = target
    }

    public func restore(from source: @escaping Source) throws -> RestoreStats {
        let connection = try Connection(target)
        var stats = RestoreStats()
        try Self.walk(LineReader(source: source)) { statement, line, lines in
            try run(statement, line: line, connection: connection, lines: lines, stats: &stats)
        }
        return stats
    }

    /// Splits the script into statements and hands each to `body` with the line it starts on
    /// (a COPY's data lines are then read from `lines` by `body`); checks psql meta-commands.
    /// Apart from `restore` so the splitting can be fuzzed without a server (Fuzz/).
    static func walk(_ lines: LineReader, _ body: (String, Int, LineReader) throws -> Void) throws {
        let splitter = StatementSplitter()
        var statementStartLine = 1
        while let line = try lines.next() {
            if splitter.isEmpty, line.first == UInt8(ascii: "\\") {
                try metaCommand(line, lineNumber: lines.lineNumber)
                continue
            }
            if splitter.isEmpty { statementStartLine = lines.lineNumber }
            for statement in splitter.feed(line) {
                try body(statement, statementStartLine, lines)
                statementStartLine = lines.lineNumber
            }
        }
        if let rest = splitter.remainder() {
            try body(rest, statementStartLine, lines)
        }
    }

    private static func metaCommand(_ line: [UInt8], lineNumber: Int) throws {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let command = text.split(separator: " ").first.map(String.init) ?? text
        switch command {
        case "\\restrict", "\\unrestrict":
            return  // psql's guard against injected meta-commands; nothing to do over libpq
        case "\\connect", "\\c":
            throw DumpError(.unsupported, "the SQL dump switches databases (\\connect on line \(lineNumber)); only single-database dumps can be restored")
        default:
            throw DumpError(.unsupported, "the SQL dump uses the psql meta-command \(command) on line \(lineNumber), which this restore does not run")
        }
    }

    private static let copyFromStdin = try! NSRegularExpression(
        pattern: "^\\s*COPY\\s.*\\sFROM\\s+stdin\\b", options: [.caseInsensitive, .dotMatchesLineSeparators])

    /// The statement trimmed, and whether it is a `COPY ... FROM stdin`; nil if there is
    /// nothing to run (blank or only comments).
    static func classify(_ statement: String) -> (trimmed: String, isCopy: Bool)? {
        let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, !onlyComments(trimmed) else { return nil }
        let range = NSRange(trimmed.startIndex..., in: trimmed)
        return (trimmed, copyFromStdin.firstMatch(in: trimmed, range: range) != nil)
    }

    /// A COPY's data: the lines up to `\.`, handed to `write` in chunks of about 256 KiB.
    static func copyData(_ lines: LineReader, _ write: ([UInt8]) throws -> Void) throws {
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 18)
        while let data = try lines.next() {
            if data == Array("\\.\n".utf8) || data == Array("\\.".utf8) || data == Array("\\.\r\n".utf8) { break }
            chunk.append(contentsOf: data)
            if chunk.count >= 1 << 18 {
                try write(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { try write(chunk) }
    }

    private func run(_ statement: String, line: Int, connection: Connection, lines: LineReader, stats: inout RestoreStats) throws {
        guard let (trimmed, isCopy) = Self.classify(statement) else { return }
        do {
            if isCopy {
                let rows = try connection.copyIn(trimmed) { writer in
                    try Self.copyData(lines) { try writer.write($0) }
                }
                let table = trimmed.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? "?"
                stats.rows[table] = Int64(rows)
            } else {
                try connection.execute(trimmed)
            }
            stats.entries += 1
        } catch let error as PGError {
            // Settings a newer pg_dump writes that this server does not know (transaction_timeout).
            if error.sqlState == SQLState.undefinedObject, trimmed.uppercased().hasPrefix("SET ") { return }
            throw DumpError(.unsupported, "the SQL dump failed at the statement on line \(line) (\(trimmed.prefix(80))): \(error.serverMessage)" + (error.sqlState.map { " (SQLSTATE \($0))" } ?? ""))
        }
    }

    private static func onlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") || $0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}

/// Reads LF-terminated lines (kept with their LF) from a byte source.
final class LineReader {
    private let source: PlainSQLRestore.Source
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var pending: [UInt8] = []
    private var start = 0
    private var end = 0
    private var eof = false
    private(set) var lineNumber = 0

    init(source: @escaping PlainSQLRestore.Source) { self.source = source }

    func next() throws -> [UInt8]? {
        pending.removeAll(keepingCapacity: true)
        while true {
            if start < end {
                if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                    pending.append(contentsOf: buffer[start...newline])
                    start = newline + 1
                    lineNumber += 1
                    return pending
                }
                pending.append(contentsOf: buffer[start..<end])
                start = end
            }
            if eof {
                if pending.isEmpty { return nil }
                lineNumber += 1
                return pending
            }
            let n = try buffer.withUnsafeMutableBytes { try source($0) }
            if n == 0 { eof = true }
            start = 0
            end = n
        }
    }
}

/// Splits SQL text into statements at top-level semicolons, honouring '...' and E'...'
/// literals, "..." identifiers, $tag$...$tag$ bodies, -- and /* */ comments.
final class StatementSplitter {
    private enum State: Equatable {
        /// A dollar quote's tag is kept as the input's bytes (it may hold bytes that are not UTF-8).
        case normal, single(escapes: Bool), double, dollar([UInt8]), lineComment, blockComment(depth: Int)
    }
    private var state = State.normal
    private var current: [UInt8] = []
    /// Open BEGIN/CASE of a `BEGIN ATOMIC` function body (as psql counts them): semicolons
    /// inside do not end the CREATE FUNCTION.
    private var depth = 0
    private var word: [UInt8] = []

    private func endWord() {
        guard !word.isEmpty else { return }
        let text = String(decoding: word, as: UTF8.self).uppercased()
        word.removeAll(keepingCapacity: true)
        if text == "BEGIN" || text == "CASE" {
            let head = String(decoding: current.prefix(200), as: UTF8.self).uppercased()
                .split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).prefix(4).joined(separator: " ")
            if head.hasPrefix("CREATE") && (head.contains("FUNCTION") || head.contains("PROCEDURE")) { depth += 1 }
        } else if text == "END" && depth > 0 {
            depth -= 1
        }
    }

    var isEmpty: Bool { state == .normal && current.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D } }

    /// Feeds one line; returns the statements it completed.
    func feed(_ line: [UInt8]) -> [String] {
        var done: [String] = []
        var i = 0
        while i < line.count {
            let c = line[i]
            switch state {
            case .normal:
                if Self.isIdentifierChar(c) && !(word.isEmpty && c >= 0x30 && c <= 0x39 && Self.isIdentifierChar(current.last)) {
                    word.append(c)
                } else {
                    endWord()
                }
                if c == UInt8(ascii: "'") {
                    let prev = current.last
                    state = .single(escapes: prev == UInt8(ascii: "E") || prev == UInt8(ascii: "e"))
                } else if c == UInt8(ascii: "\"") {
                    state = .double
                } else if c == UInt8(ascii: "-"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "-") {
                    // Line comments are dropped, so a statement never starts with one.
                    state = .lineComment
                    i += 2
                    continue
                } else if c == UInt8(ascii: "/"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "*") {
                    state = .blockComment(depth: 1)
                    current.append(c)
                    current.append(line[i + 1])
                    i += 2
                    continue
                } else if c == UInt8(ascii: "$"), let tag = Self.dollarTag(line, at: i), !Self.isIdentifierChar(current.last) {
                    state = .dollar(tag)
                    current.append(contentsOf: tag)
                    i += tag.count
                    continue
                } else if c == UInt8(ascii: ";") && depth == 0 {
                    current.append(c)
                    done.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                    depth = 0
                    i += 1
                    continue
                }
            case .single(let escapes):
                if escapes && c == UInt8(ascii: "\\") && i + 1 < line.count {
                    current.append(c)
                    current.append(line[i + 1])
                    i += 2
                    continue
                }
                if c == UInt8(ascii: "'") {
                    if i + 1 < line.count && line[i + 1] == UInt8(ascii: "'") {
                        current.append(c)
                        current.append(c)
                        i += 2
                        continue
                    }
                    state = .normal
                }
            case .double:
                if c == UInt8(ascii: "\"") { state = .normal }
            case .dollar(let tag):
                if c == UInt8(ascii: "$"), Self.matches(line, at: i, tag) {
                    current.append(contentsOf: tag)
                    i += tag.count
                    state = .normal
                    continue
                }
            case .lineComment:
                if c == 0x0A { state = .normal }
                i += 1
                continue
            case .blockComment(let depth):
                if c == UInt8(ascii: "*"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "/") {
                    state = depth == 1 ? .normal : .blockComment(depth: depth - 1)
                    current.append(c)
                    current.append(line[i + 1])
                    i += 2
                    continue
                }
                if c == UInt8(ascii: "/"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "*") {
                    state = .blockComment(depth: depth + 1)
                }
            }
            current.append(c)
            i += 1
        }
        if state == .lineComment { state = .normal }
        if state == .normal { endWord() }
        return done
    }

    /// What is left at the end of the script (a last statement without a semicolon).
    func remainder() -> String? {
        let text = String(decoding: current, as: UTF8.self)
        current.removeAll()
        return text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : text
    }

    private static func isIdentifierChar(_ c: UInt8?) -> Bool {
        guard let c else { return false }
        return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80
    }

    /// `$tag$` starting at `i`, if there is one: the bytes as they are, since a String would
    /// turn bytes that are not UTF-8 into U+FFFD and then skip and match the wrong bytes.
    private static func dollarTag(_ line: [UInt8], at i: Int) -> [UInt8]? {
        var j = i + 1
        while j < line.count, line[j] != UInt8(ascii: "$") {
            let c = line[j]
            let ok = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80 || (j > i + 1 && c >= 0x30 && c <= 0x39)
            if !ok { return nil }
            j += 1
        }
        guard j < line.count else { return nil }
        return Array(line[i...j])
    }

    private static func matches(_ line: [UInt8], at i: Int, _ tag: [UInt8]) -> Bool {
        guard i + tag.count <= line.count else { return false }
        return line[i..<(i + tag.count)].elementsEqual(tag)
    }
}

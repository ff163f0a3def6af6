import Foundation

/// A value that can be sent as a text-format query parameter.
public protocol PGEncodable {
    var pgText: String { get }
}

extension String: PGEncodable { public var pgText: String { self } }
extension Int: PGEncodable { public var pgText: String { String(self) } }
extension Int32: PGEncodable { public var pgText: String { String(self) } }
extension Int64: PGEncodable { public var pgText: String { String(self) } }
extension UInt32: PGEncodable { public var pgText: String { String(self) } }
extension Double: PGEncodable { public var pgText: String { String(self) } }
extension Bool: PGEncodable { public var pgText: String { self ? "t" : "f" } }

/// A value that can be read from a text-format result column.
public protocol PGDecodable {
    init?(pgText: String)
}

extension String: PGDecodable { public init?(pgText: String) { self = pgText } }
extension Int: PGDecodable { public init?(pgText: String) { self.init(pgText) } }
extension Int32: PGDecodable { public init?(pgText: String) { self.init(pgText) } }
extension Int64: PGDecodable { public init?(pgText: String) { self.init(pgText) } }
extension UInt32: PGDecodable { public init?(pgText: String) { self.init(pgText) } }
extension Double: PGDecodable { public init?(pgText: String) { self.init(pgText) } }
extension Bool: PGDecodable {
    public init?(pgText: String) {
        switch pgText {
        case "t", "true", "on", "1": self = true
        case "f", "false", "off", "0": self = false
        default: return nil
        }
    }
}

/// One row of a query result, in text format.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [String?]

    /// The raw text of column `index`, or nil for SQL NULL.
    public subscript(index: Int) -> String? { values[index] }

    /// The raw text of the column named `name`, or nil for SQL NULL.
    public subscript(name: String) -> String? {
        guard let index = columns.firstIndex(of: name) else { return nil }
        return values[index]
    }

    /// Decodes column `index`; NULL or a malformed value throws `.decoding`.
    public func get<T: PGDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard let value = try optional(index, as: type) else {
            throw PGError(code: .decoding, message: "column \(columns[index]) is NULL where \(T.self) was expected")
        }
        return value
    }

    /// Decodes the column named `name`.
    public func get<T: PGDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try get(try index(of: name), as: type)
    }

    /// Decodes column `index`, keeping NULL as nil.
    public func optional<T: PGDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T? {
        guard let text = values[index] else { return nil }
        guard let value = T(pgText: text) else {
            throw PGError(code: .decoding, message: "column \(columns[index]) holds '\(text)', not a \(T.self)")
        }
        return value
    }

    public func optional<T: PGDecodable>(_ name: String, as type: T.Type = T.self) throws -> T? {
        try optional(try index(of: name), as: type)
    }

    private func index(of name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw PGError(code: .decoding, message: "no column named \(name) in the result")
        }
        return index
    }
}

/// The materialised result of a query. Meant for catalog-sized results;
/// bulk data goes through `Connection.copyOut`.
public struct QueryResult: Sendable, Sequence {
    public let columns: [String]
    public let rows: [Row]
    /// The command tag's row count (`INSERT 0 5` -> 5), when the command reports one.
    public let affectedRows: Int?

    public func makeIterator() -> IndexingIterator<[Row]> { rows.makeIterator() }
    public var count: Int { rows.count }
    public var first: Row? { rows.first }
}

/// Quotes an identifier the way the server's `quote_ident` does.
/// This is the one quoting function for identifiers; values are always bound parameters.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Quotes a string literal for SQL text where a parameter cannot be used (DDL).
/// Requires standard_conforming_strings = on, which every session we open has.
public func quoteLiteral(_ value: String) -> String {
    "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
}

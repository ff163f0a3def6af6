import Foundation

/// An element of an S3 XML response: name (without namespace prefix), text, children.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String = ""
    public var children: [XMLElement] = []

    /// The first child named `name`.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// Every child named `name`, in order.
    public func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child named `name`.
    public subscript(_ name: String) -> String? { child(name)?.text }
}

/// A small XML reader for the store's responses (ListObjectsV2, errors, multipart), ours rather
/// than FoundationXML's XMLParser so the static binary needs no libxml2. It understands elements,
/// attributes (skipped), character data, CDATA, comments, processing instructions and the
/// predefined and numeric entities; no DTDs. Entry point takes bytes so it can be fuzzed.
public enum S3XML {
    public static let maxDepth = 32
    public static let maxBytes = 16 << 20

    /// Parses a document into its root element.
    /// - Throws: `S3Error(.protocolViolation)` for anything malformed, too deep or too large.
    public static func parse(_ bytes: [UInt8]) throws -> XMLElement {
        guard bytes.count <= maxBytes else { throw bad("response of \(bytes.count) bytes is too large") }
        var reader = Reader(bytes: bytes)
        return try reader.document()
    }

    public static func parse(_ data: Data) throws -> XMLElement { try parse([UInt8](data)) }

    static func bad(_ what: String) -> S3Error { S3Error(.protocolViolation, "the store's XML response is malformed: \(what)") }

    struct Reader {
        let bytes: [UInt8]
        var i = 0

        mutating func document() throws -> XMLElement {
            var root: XMLElement?
            while true {
                skipSpace()
                if i >= bytes.count { break }
                guard bytes[i] == UInt8(ascii: "<") else { throw bad("text outside the root element") }
                if try skipMarkup() { continue }
                guard root == nil else { throw bad("a second root element") }
                root = try element(depth: 0)
            }
            guard let root else { throw bad("no root element") }
            return root
        }

        /// Skips `<?...?>`, `<!--...-->` and `<!...>` at `i`; false if `i` starts an element.
        mutating func skipMarkup() throws -> Bool {
            if starts("<?") { try skip(past: "?>"); return true }
            if starts("<!--") { try skip(past: "-->"); return true }
            if starts("<![CDATA[") { return false }
            if starts("<!") { try skip(past: ">"); return true }
            return false
        }

        mutating func element(depth: Int) throws -> XMLElement {
            guard depth < S3XML.maxDepth else { throw bad("nested deeper than \(S3XML.maxDepth)") }
            i += 1  // "<"
            let name = try readName()
            var element = XMLElement(name: localName(name))
            // Attributes: name="value" or name='value', skipped.
            while true {
                skipSpace()
                guard i < bytes.count else { throw bad("unterminated tag <\(name)") }
                if starts("/>") { i += 2; return element }
                if bytes[i] == UInt8(ascii: ">") { i += 1; break }
                _ = try readName()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw bad("attribute without a value in <\(name)") }
                i += 1
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { throw bad("unquoted attribute in <\(name)") }
                let quote = bytes[i]
                i += 1
                while i < bytes.count, bytes[i] != quote { i += 1 }
                guard i < bytes.count else { throw bad("unterminated attribute in <\(name)") }
                i += 1
            }
            var text: [UInt8] = []
            while true {
                guard i < bytes.count else { throw bad("<\(name)> is not closed") }
                if bytes[i] != UInt8(ascii: "<") {
                    if bytes[i] == UInt8(ascii: "&") { try entity(into: &text) } else { text.append(bytes[i]); i += 1 }
                    continue
                }
                if starts("</") {
                    i += 2
                    let closing = try readName()
                    guard closing == name else { throw bad("</\(closing)> closes <\(name)>") }
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ">") else { throw bad("unterminated </\(name)") }
                    i += 1
                    break
                }
                if starts("<![CDATA[") {
                    i += 9
                    let start = i
                    try skip(past: "]]>")
                    text += bytes[start..<(i - 3)]
                    continue
                }
                if try skipMarkup() { continue }
                element.children.append(try self.element(depth: depth + 1))
            }
            element.text = String(decoding: text, as: UTF8.self)
            return element
        }

        mutating func entity(into text: inout [UInt8]) throws {
            let start = i + 1
            var end = start
            while end < bytes.count, end - start < 12, bytes[end] != UInt8(ascii: ";") { end += 1 }
            guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw bad("unterminated entity") }
            let name = String(decoding: bytes[start..<end], as: UTF8.self)
            i = end + 1
            switch name {
            case "amp": text.append(UInt8(ascii: "&"))
            case "lt": text.append(UInt8(ascii: "<"))
            case "gt": text.append(UInt8(ascii: ">"))
            case "quot": text.append(UInt8(ascii: "\""))
            case "apos": text.append(UInt8(ascii: "'"))
            default:
                var value: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") { value = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { value = UInt32(name.dropFirst(), radix: 10) }
                guard let value, let scalar = Unicode.Scalar(value) else { throw bad("unknown entity &\(name);") }
                text += Array(String(Character(scalar)).utf8)
            }
        }

        mutating func readName() throws -> String {
            let start = i
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: ">") || b == UInt8(ascii: "/") || b == UInt8(ascii: "=") || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { break }
                i += 1
            }
            guard i > start else { throw bad("a tag without a name") }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        func localName(_ name: String) -> String {
            name.firstIndex(of: ":").map { String(name[name.index(after: $0)...]) } ?? name
        }

        func starts(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard i + count <= bytes.count else { return false }
            return literal.withUTF8Buffer { buffer in
                for k in 0..<count where bytes[i + k] != buffer[k] { return false }
                return true
            }
        }

        mutating func skip(past literal: StaticString) throws {
            while i < bytes.count {
                if starts(literal) { i += literal.utf8CodeUnitCount; return }
                i += 1
            }
            throw bad("unterminated markup")
        }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }
    }
}

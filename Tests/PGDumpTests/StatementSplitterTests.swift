@testable import PGDump
import Testing

/// The plain-SQL splitter on its own (no server): inputs `make fuzz` (target plain-sql) showed
/// it getting wrong.
@Suite("plain-SQL statement splitter")
struct StatementSplitterTests {
    static func split(_ bytes: [UInt8]) -> [String] {
        let splitter = StatementSplitter()
        var statements: [String] = []
        var start = 0
        while start < bytes.count {
            let end = (bytes[start...].firstIndex(of: 0x0A) ?? bytes.count - 1) + 1
            statements += splitter.feed(Array(bytes[start..<end]))
            start = end
        }
        if let rest = splitter.remainder() { statements.append(rest) }
        return statements
    }

    @Test("a dollar-quote tag with bytes that are not UTF-8 closes at the same bytes and hides the semicolons inside")
    func dollarTagInvalidUTF8() {
        let first: [UInt8] = Array("SELECT $".utf8) + [0xFF] + Array("$a;b$".utf8) + [0xFF] + Array("$;".utf8)
        let statements = Self.split(first + Array(" SELECT 2;\n".utf8))
        #expect(statements == [String(decoding: first, as: UTF8.self), " SELECT 2;"])
    }

    @Test("a valid UTF-8 dollar-quote tag still works")
    func dollarTagUTF8() {
        let statements = Self.split(Array("SELECT $é$x;y$é$; SELECT 3;\n".utf8))
        #expect(statements == ["SELECT $é$x;y$é$;", " SELECT 3;"])
    }
}

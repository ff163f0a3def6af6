@testable import PGDump

/// The old scripts' db/database.sql: lines, the statement splitter (quotes, dollar quotes,
/// comments, BEGIN ATOMIC bodies), meta-commands and COPY data blocks, as restore reads them.
let plainSQLTarget = FuzzTarget(name: "plain-sql", maxLen: 64 << 10) { bytes in
    try? PlainSQLRestore.walk(LineReader(source: byteSource(bytes))) { statement, _, lines in
        if let (_, isCopy) = PlainSQLRestore.classify(statement), isCopy {
            try PlainSQLRestore.copyData(lines) { _ in }
        }
    }
}

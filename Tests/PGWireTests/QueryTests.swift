import Foundation
import PGWire
import TestHarness
import Testing

/// Runs `body` and returns the PGError it throws; records an issue when it throws nothing
/// or something else.
func pgError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> PGError? {
    do {
        try body()
        Issue.record("expected a PGError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as PGError {
        return error
    } catch {
        Issue.record("expected a PGError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

struct BodyError: Error, Equatable { let tag: String }

@Suite("Queries", .timeLimit(.minutes(30)))
struct QueryTests {
    @Test func parametersRoundTripAllTypes() throws {
        try withDatabase("q_params") { _, c in
            let text = "naïve café — 🔐 \"quoted\" 'single' \\ back\tslash"
            let row = try #require(
                try c.query(
                    "SELECT $1::text, $2::int, $3::bool, $4::text IS NULL, $5::bigint, $6::float8, $7::bool",
                    [text, 42, true, nil, Int64(9_000_000_000), 2.5, false]
                ).first)
            #expect(row[0] == text)
            #expect(try row.get(0, as: String.self) == text)
            #expect(try row.get(1, as: Int.self) == 42)
            #expect(try row.get(2, as: Bool.self) == true)
            #expect(try row.get(3, as: Bool.self) == true)
            #expect(try row.get(4, as: Int64.self) == 9_000_000_000)
            #expect(try row.get(5, as: Double.self) == 2.5)
            #expect(try row.get(6, as: Bool.self) == false)
        }
    }

    @Test func parametersAreNeverInterpolated() throws {
        try withDatabase("q_inject") { _, c in
            try c.execute("CREATE TABLE victims(name text)")
            let hostile = "x'); DROP TABLE victims; --"
            _ = try c.query("INSERT INTO victims VALUES ($1)", [hostile])
            let rows = try c.query("SELECT name FROM victims")
            #expect(rows.count == 1)
            #expect(rows.first?[0] == hostile)
        }
    }

    @Test func resultsByNameNullsAndAffectedRows() throws {
        try withDatabase("q_rows") { _, c in
            try c.execute("CREATE TABLE t(id int PRIMARY KEY, label text)")
            let inserted = try c.query("INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, 'three')")
            #expect(inserted.affectedRows == 3)
            let result = try c.query("SELECT id, label FROM t ORDER BY id")
            #expect(result.columns == ["id", "label"])
            #expect(result.count == 3)
            #expect(try result.rows[0].get("label", as: String.self) == "one")
            #expect(result.rows[1]["label"] == nil)
            #expect(try result.rows[1].optional("label", as: String.self) == nil)
            #expect(try result.rows.map { try $0.get("id", as: Int.self) } == [1, 2, 3])
            let updated = try c.query("UPDATE t SET label = 'x' WHERE id >= $1", [2])
            #expect(updated.affectedRows == 2)
        }
    }

    @Test func decodingErrorsAreTyped() throws {
        try withDatabase("q_decode") { _, c in
            let row = try #require(try c.query("SELECT 'abc'::text AS word, NULL::int AS nothing, 3.5::float8 AS x").first)
            #expect(pgError { _ = try row.get(0, as: Int.self) }?.code == .decoding)
            #expect(pgError { _ = try row.get("nothing", as: Int.self) }?.code == .decoding)
            #expect(pgError { _ = try row.get("x", as: Int.self) }?.code == .decoding)
            #expect(pgError { _ = try row.get("no_such_column", as: Int.self) }?.code == .decoding)
            #expect(pgError { _ = try row.get(0, as: Bool.self) }?.code == .decoding)
        }
    }

    @Test func serverVersionNumberMatchesTheServer() throws {
        try withDatabase("q_version") { db, c in
            let fromSQL = try #require(try c.query("SHOW server_version_num").first).get(0, as: Int.self)
            #expect(c.serverVersionNumber == fromSQL)
            #expect(c.serverVersionNumber == db.server.serverVersionNumber)
            #expect(c.serverVersion.hasPrefix(String(fromSQL / 10000)))
            #expect(c.database == db.name)
            #expect(c.user == db.server.superuser)
            #expect(c.backendPID > 0)
            #expect(c.parameterStatus("server_encoding") == "UTF8")
            #expect(c.isAlive)
        }
    }

    @Test func transactionCommitsWhenTheBodyReturns() throws {
        try withDatabase("q_commit") { db, c in
            try c.execute("CREATE TABLE t(x int)")
            let value = try c.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (1)")
                return 7
            }
            #expect(value == 7)
            // Seen from another session: really committed.
            #expect(try db.psql("SELECT count(*) FROM t") == "1")
        }
    }

    @Test func transactionRollsBackWhenTheBodyThrows() throws {
        try withDatabase("q_rollback") { db, c in
            try c.execute("CREATE TABLE t(x int)")
            #expect(throws: BodyError(tag: "boom")) {
                try c.transaction { tx in
                    try tx.execute("INSERT INTO t VALUES (1)")
                    throw BodyError(tag: "boom")
                }
            }
            #expect(try db.psql("SELECT count(*) FROM t") == "0")
            // And the session is idle again, not stuck in an aborted transaction.
            #expect(try c.query("SELECT count(*) FROM t").first?[0] == "0")
            #expect(try c.query("SELECT current_setting('transaction_isolation')").first?[0] == "read committed")
        }
    }

    @Test func transactionRollsBackAfterAFailedStatement() throws {
        try withDatabase("q_txerr") { _, c in
            try c.execute("CREATE TABLE t(x int PRIMARY KEY)")
            let error = pgError {
                try c.transaction { tx in
                    try tx.execute("INSERT INTO t VALUES (1)")
                    try tx.execute("INSERT INTO t VALUES (1)")
                }
            }
            #expect(error?.sqlState == "23505")
            #expect(try c.query("SELECT count(*) FROM t").first?[0] == "0")
        }
    }

    @Test func transactionIsolationAndReadOnly() throws {
        try withDatabase("q_iso") { _, c in
            try c.execute("CREATE TABLE t(x int)")
            try c.transaction(isolation: .repeatableRead, readOnly: true) { tx throws in
                #expect(try tx.query("SHOW transaction_isolation").first?[0] == "repeatable read")
                #expect(try tx.query("SHOW transaction_read_only").first?[0] == "on")
                let error = pgError { try tx.execute("INSERT INTO t VALUES (1)") }
                #expect(error?.sqlState == "25006")
            }
        }
    }

    @Test func errorsCarrySQLStateAndQueryCode() throws {
        try withDatabase("q_errors") { _, c in
            let missing = pgError { _ = try c.query("SELECT * FROM no_such_table") }
            #expect(missing?.code == .query)
            #expect(missing?.sqlState == "42P01")
            #expect(missing?.serverMessage.contains("no_such_table") == true)
            #expect(missing?.endpoint == c.endpoint)

            try c.execute("CREATE TABLE u(id int PRIMARY KEY)")
            try c.execute("INSERT INTO u VALUES (1)")
            let duplicate = pgError { try c.execute("INSERT INTO u VALUES (1)") }
            #expect(duplicate?.code == .query)
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate?.detail?.contains("(id)=(1)") == true)

            let syntax = pgError { try c.execute("SELEC 1") }
            #expect(syntax?.sqlState == "42601")
            let badParam = pgError { _ = try c.query("SELECT $1::int", ["not a number"]) }
            #expect(badParam?.sqlState == "22P02")

            // The session survives all of it.
            #expect(try c.query("SELECT 1").first?[0] == "1")
        }
    }

    @Test func cancelFromAnotherThreadInterruptsASleep() throws {
        try withDatabase("q_cancel") { _, c throws in
            let started = Date()
            let canceller = Thread { [c] in
                Thread.sleep(forTimeInterval: 0.5)
                c.cancel()
            }
            canceller.start()
            let error = pgError { _ = try c.query("SELECT pg_sleep(10)") }
            #expect(error?.code == .cancelled)
            #expect(error?.sqlState == "57014")
            #expect(Date().timeIntervalSince(started) < 8)
            #expect(try c.query("SELECT 2").first?[0] == "2")
        }
    }

    @Test func statementTimeoutIsReportedAsCancelled() throws {
        try withDatabase("q_timeout") { _, c in
            try c.execute("SET statement_timeout = '200ms'")
            let started = Date()
            let error = pgError { _ = try c.query("SELECT pg_sleep(5)") }
            #expect(error?.code == .cancelled)
            #expect(error?.sqlState == "57014")
            #expect(Date().timeIntervalSince(started) < 4)
            try c.execute("RESET statement_timeout")
            #expect(try c.query("SELECT 3").first?[0] == "3")
        }
    }

    @Test func terminatedSessionIsConnectionLost() throws {
        try withDatabase("q_terminate") { db, c in
            let pid = c.backendPID
            try db.server.admin { admin in
                _ = try admin.query("SELECT pg_terminate_backend($1)", [pid])
            }
            let error = pgError { _ = try c.query("SELECT 1") }
            #expect(error?.code == .connectionLost)
            #expect(!c.isAlive)
        }
    }

    @Test func identifierAndLiteralQuoting() throws {
        try withDatabase("q_quote") { _, c in
            let name = "we\"ird Näme"
            try c.execute("CREATE TABLE \(quoteIdentifier(name)) (v text)")
            try c.execute("INSERT INTO \(quoteIdentifier(name)) VALUES (\(quoteLiteral("it's")))")
            #expect(try c.query("SELECT v FROM \(quoteIdentifier(name))").first?[0] == "it's")
            #expect(try c.query("SELECT quote_ident($1)", [name]).first?[0] == quoteIdentifier(name))
        }
    }
}

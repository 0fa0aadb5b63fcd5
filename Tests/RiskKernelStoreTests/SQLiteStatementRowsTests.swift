import Foundation
import GRDB
@testable import RiskKernelStore
import SeededRandom
import Testing

/// The C-interface binding and reading of ``SQLiteStatementRows``, against GRDB's own.
@Suite("SQLite statements bound and read through the C interface")
struct SQLiteStatementRowsTests {
    private static func queue() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, d)") }
        return queue
    }

    private static func randomText(_ random: inout SeededRandom) -> String {
        // Texts up to `Statement.copiedTextLimit` are copied by SQLite, longer ones lent in place:
        // pieces of 2 KiB and 5,000 bytes give both, and texts on either side of the limit.
        let pieces = [
            "", "a", "é", "日本", "🙂", "\u{0}", "'", "\"", "\\", "\n", String(repeating: "x", count: 300), String(repeating: "y", count: 2_048),
            String(repeating: "z", count: 5_000),
        ]
        return (0..<Int.random(in: 0..<6, using: &random)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &random)] }.joined()
    }

    private static func randomValue(_ random: inout SeededRandom) -> SQLValue {
        switch Int.random(in: 0..<5, using: &random) {
        case 0: .text(randomText(&random))
        case 1: .integer([Int64.min, Int64.max, 0, -1, Int64(bitPattern: random.next())][Int.random(in: 0..<5, using: &random)])
        case 2: .real([0.5, -1e300, 1e-300, 3.0][Int.random(in: 0..<4, using: &random)])
        case 3: .bool(Int.random(in: 0..<2, using: &random) == 1)
        default: .null
        }
    }

    /// A text as stored: up to its first NUL, as GRDB binds a String.
    private static func stored(_ text: String) -> String {
        String(text.prefix { $0 != "\u{0}" })
    }

    @Test("random values written with run(_:) read back the same through GRDB and through firstRow and allRows", arguments: [1, 2, 3])
    func roundTrip(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let queue = try Self.queue()
        var written: [[SQLValue]] = []
        try queue.write { db in
            for id in 0..<200 {
                let values = (0..<4).map { _ in Self.randomValue(&random) }
                written.append(values)
                try db.cachedStatement(sql: "INSERT INTO t (id, a, b, c, d) VALUES (?, ?, ?, ?, ?)").run([.integer(Int64(id))] + values)
            }
        }
        try queue.read { db in
            for (id, values) in written.enumerated() {
                let row = try #require(try Row.fetchOne(db, sql: "SELECT a, b, c, d FROM t WHERE id = ?", arguments: [id]))
                for (column, value) in values.enumerated() {
                    switch value {
                    case .text(let text): #expect(row[column] as String? == Self.stored(text))
                    case .integer(let integer): #expect(row[column] as Int64? == integer)
                    case .real(let real): #expect(row[column] as Double? == real)
                    case .bool(let bool): #expect(row[column] as Int64? == (bool ? 1 : 0))
                    case .null: #expect(row.hasNull(atIndex: column))
                    }
                }
                // Read back through SQLiteRow, each column as it was written (a real number is read by GRDB above only).
                let read = try db.cachedStatement(sql: "SELECT a, b, c, d FROM t WHERE id = ?").firstRow([.integer(Int64(id))]) { row in
                    values.enumerated().map { column, value -> SQLValue in
                        let column = Int32(column)
                        switch value {
                        case .text: return row.isNull(column) ? .null : .text(row.text(column))
                        case .integer, .bool: return row.optionalInt64(column).map(SQLValue.integer) ?? .null
                        case .real: return .null
                        case .null: return row.isNull(column) ? .null : .text(row.text(column))
                        }
                    }
                }
                let expected = values.map { value -> SQLValue in
                    switch value {
                    case .bool(let bool): .integer(bool ? 1 : 0)
                    case .text(let text): .text(Self.stored(text))
                    case .real: .null
                    default: value
                    }
                }
                #expect(read == expected)
            }
            let ids = try db.cachedStatement(sql: "SELECT id FROM t WHERE id < ? ORDER BY id").allRows([.integer(50)]) { $0.int64(0) }
            #expect(ids == Array(0..<50))
            #expect(try db.cachedStatement(sql: "SELECT id FROM t WHERE id = ?").firstRow([.integer(-5)]) { $0.int64(0) } == nil)
        }
    }

    @Test("a wrong number of values, a constraint and a statement used again by GRDB")
    func errors() throws {
        let queue = try Self.queue()
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, a) VALUES (?, ?)")
            #expect(throws: DatabaseError.self) { try insert.run([.integer(1)]) }
            try insert.run([.integer(1), .text("one")])
            do {
                try insert.run([.integer(1), .text("again")])
                Issue.record("a duplicate primary key was accepted")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT)
                #expect(error.sql == "INSERT INTO t (id, a) VALUES (?, ?)")
            }
            // The statement was reset: GRDB can run it with arguments of its own, and so can run(_:).
            try insert.execute(arguments: [2, "two"])
            try insert.run([.integer(3), .text("three")])
            #expect(try String.fetchAll(db, sql: "SELECT a FROM t ORDER BY id") == ["one", "two", "three"])
        }
    }
}

import Foundation
import GRDB
import GRDBSQLite

/// The ledger's statements on a call's path, bound and stepped through SQLite's C interface on
/// GRDB's prepared (and cached) statements.
///
/// GRDB's `StatementArguments` and `Row` decode each value through generic conversions, which
/// cost more than the statement itself for the ledger's short rows (a profile of
/// `riskkernel-bench run --only ledger` put argument building and row decoding at a sixth of
/// a model call's CPU). These bind ``SQLValue``s directly (`sqlite3_bind_*`) and read columns
/// by position (`sqlite3_column_*`). The statement is reset afterwards, so GRDB may use it again.
extension Statement {
    /// Runs the statement with `values` bound to its parameters in order, skipping any rows it
    /// returns. Throws `DatabaseError` with SQLite's result code and message.
    func run(_ values: [SQLValue]) throws {
        try step(values) { _ in true }
    }

    /// Runs the statement with `values` bound and reads its first row with `read`, or `nil`
    /// when it returns none.
    func firstRow<T>(_ values: [SQLValue], _ read: (SQLiteRow) throws -> T) throws -> T? {
        var first: T?
        try step(values) { row in
            first = try read(row)
            return false
        }
        return first
    }

    /// Runs the statement with `values` bound and reads every row with `read`, in order.
    func allRows<T>(_ values: [SQLValue], _ read: (SQLiteRow) throws -> T) throws -> [T] {
        var rows: [T] = []
        try step(values) { row in
            rows.append(try read(row))
            return true
        }
        return rows
    }

    /// Binds `values`, then steps through the rows, passing each to `row` until it returns
    /// `false` or the statement is done; the statement is reset and its bindings cleared afterwards.
    private func step(_ values: [SQLValue], _ row: (SQLiteRow) throws -> Bool) throws {
        sqlite3_reset(sqliteStatement)
        sqlite3_clear_bindings(sqliteStatement)
        guard Int(sqlite3_bind_parameter_count(sqliteStatement)) == values.count else {
            throw DatabaseError(resultCode: .SQLITE_RANGE, message: "\(values.count) values for \(sqlite3_bind_parameter_count(sqliteStatement)) parameters", sql: sql)
        }
        try bound(values) {
            defer {
                sqlite3_reset(sqliteStatement)
                // Long texts were bound in place (SQLITE_STATIC); none may outlive this call.
                sqlite3_clear_bindings(sqliteStatement)
            }
            while true {
                let code = sqlite3_step(sqliteStatement)
                if code == SQLITE_DONE { return }
                guard code == SQLITE_ROW else { throw failure(code) }
                guard try row(SQLiteRow(statement: sqliteStatement)) else { return }
            }
        }
    }

    /// Binds `values` to the parameters in order, then runs `body`. A short text is copied by
    /// SQLite (`SQLITE_TRANSIENT`); a long one (over ``copiedTextLimit`` bytes: a tool's result,
    /// its arguments) is bound where it lies (`SQLITE_STATIC`, no copy), so `body` runs inside
    /// the closures that lend those bytes. As GRDB binds a String (`sqlite3_bind_text` with
    /// length -1), a text is bound up to its first NUL, so that a value bound here and the same
    /// value bound by GRDB compare equal.
    private func bound(_ values: [SQLValue], _ body: () throws -> Void) throws {
        var lent: [Int] = []
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let integer): code = sqlite3_bind_int64(sqliteStatement, index, integer)
            case .real(let real): code = sqlite3_bind_double(sqliteStatement, index, real)
            case .bool(let bool): code = sqlite3_bind_int64(sqliteStatement, index, bool ? 1 : 0)
            case .null: code = sqlite3_bind_null(sqliteStatement, index)
            case .text(let text) where text.utf8.count > Self.copiedTextLimit:
                lent.append(offset)
                continue
            case .text(var text): code = text.withUTF8 { bindText($0, at: index, destructor: Self.transient) }
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
        try lending(lent[...], of: values, body)
    }

    /// Binds the texts of `values` at `offsets` where they lie, each inside the closure that lends
    /// its bytes, then runs `body`.
    private func lending(_ offsets: ArraySlice<Int>, of values: [SQLValue], _ body: () throws -> Void) throws {
        guard let offset = offsets.first else { return try body() }
        guard case .text(var text) = values[offset] else { preconditionFailure("only texts are lent") }
        try text.withUTF8 { bytes in
            let code = bindText(bytes, at: Int32(offset + 1), destructor: nil)
            guard code == SQLITE_OK else { throw failure(code) }
            try lending(offsets.dropFirst(), of: values, body)
        }
    }

    private func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32, destructor: sqlite3_destructor_type?) -> Int32 {
        let base = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? Self.empty
        let length = bytes.baseAddress.flatMap { memchr($0, 0, bytes.count) }.map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
        return sqlite3_bind_text(sqliteStatement, index, base.assumingMemoryBound(to: CChar.self), Int32(length), destructor)
    }

    /// The longest text SQLite copies when it is bound; a longer one is lent in place.
    static let copiedTextLimit = 4096

    /// SQLite's `SQLITE_TRANSIENT` (a destructor of -1: copy the bytes before the call returns),
    /// which the C header defines as a cast Swift does not import.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Where an empty text is bound from (SQLite takes a null pointer as NULL, not as empty).
    private static var empty: UnsafeRawPointer { UnsafeRawPointer(("" as StaticString).utf8Start) }

    private func failure(_ code: Int32) -> DatabaseError {
        let connection = sqlite3_db_handle(sqliteStatement)
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) }, sql: sql)
    }
}

/// The current row of a statement being stepped, read by column position (0 first). Valid only
/// inside the `read` closure it is passed to.
struct SQLiteRow {
    let statement: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// The column's text (UTF-8; an empty string for NULL).
    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
}

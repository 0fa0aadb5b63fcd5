import Foundation
import PostgresNIO

extension PostgresStore {
    /// Executes a ``LedgerPlan`` inside the caller's transaction: each statement, and each event
    /// appended to its run's chain at `time`, in the plan's order. `chain`, when given, learns
    /// the heads the events move to.
    static func execute(
        _ connection: PostgresConnection, _ plan: LedgerPlan, at time: Date, chain: ChainedTotals? = nil
    ) async throws {
        for step in plan.steps {
            switch step {
            case .statement(let sql, let values):
                try await connection.rows(PostgresQuery(unsafeSQL: sql, binds: bindings(values)))
            case .event(let runId, let kind, let data, let update):
                try await appendEvent(connection, runId: runId, kind: kind, data: data, at: time, chain: chain, update: update)
            }
        }
    }

    /// `values` bound in order to `$1 … $n`.
    static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text): bindings.append(text)
            case .integer(let integer): bindings.append(integer)
            case .real(let real): bindings.append(real)
            case .bool(let bool): bindings.append(bool)
            case .null: bindings.appendNull()
            }
        }
        return bindings
    }
}

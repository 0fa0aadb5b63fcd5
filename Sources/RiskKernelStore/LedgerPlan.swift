import Foundation
import RiskKernelCore

/// A value bound to one `$n` placeholder of a planned statement.
enum SQLValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
    case real(Double)
    case bool(Bool)
    case null

    init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    init(_ integer: Int64?) { self = integer.map(SQLValue.integer) ?? .null }
}

/// A write worked out once for both stores: statements in the SQL both run (`$1 … $n`
/// placeholders bound to `values` in order) and the events to append to runs' chains, in the order
/// they must happen. A backend only executes it, inside the caller's transaction
/// (`SQLiteStore.execute(_:_:at:)`, `PostgresStore.execute(_:_:at:)`).
struct LedgerPlan: Sendable {
    enum Step: Sendable {
        case statement(sql: String, values: [SQLValue])
        /// Appends an event to the run's chain and moves the head anchored in its row with `anchor`.
        case event(runId: String, kind: String, data: JSONValue, anchor: AnchorUpdate)
    }

    /// The statement that moves a run's chain anchor after an event is appended: `$1` is bound to
    /// the chain's new length and `$2` to its new head, `values` to `$3` on. It may set more of the
    /// run's row in the same write (the usage an event's spend adds).
    struct AnchorUpdate: Sendable {
        var sql: String
        var values: [SQLValue]

        /// Moves the anchor only.
        static func anchor(of runId: String) -> AnchorUpdate {
            AnchorUpdate(sql: "UPDATE runs SET chain_length = $1, chain_head = $2 WHERE id = $3", values: [.text(runId)])
        }
    }

    private(set) var steps: [Step] = []

    init() {}

    /// Adds a statement.
    mutating func run(_ sql: String, _ values: SQLValue...) {
        run(sql, values: values)
    }

    mutating func run(_ sql: String, values: [SQLValue]) {
        steps.append(.statement(sql: sql, values: values))
    }

    /// Adds an event to `runId`'s chain; `anchor` moves the run's anchor (by default, nothing else).
    mutating func append(_ kind: String, _ data: JSONValue, to runId: String, anchor: AnchorUpdate? = nil) {
        steps.append(.event(runId: runId, kind: kind, data: data, anchor: anchor ?? .anchor(of: runId)))
    }

    /// Adds every step of `other`, after these.
    mutating func append(contentsOf other: LedgerPlan) {
        steps += other.steps
    }
}

import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    /// Checks the stored totals of the run tree rooted at `rootRunId` against the runs' chains
    /// (``ChainedTotals``). The tree's rows are read in one statement, and each chain only up to the
    /// head its row anchors, so rows and events agree even when a spend commits meanwhile; throws
    /// ``StoreError/tampered(runId:detail:)``.
    static func checkTotals(_ connection: PostgresConnection, rootRunId: String, _ totals: ChainedTotals) async throws {
        var root = PostgresBindings()
        root.append(rootRunId)
        let rows = try await connection.rows(PostgresQuery(unsafeSQL: RunTreeSQL.treeTotals, binds: root)).map { row in
            StoredTotals(
                runId: try row["id"], parentRunId: try row["parent_run_id"], usage: try usage(row, prefix: ""),
                treeUsage: try usage(row, prefix: "tree_"), chainLength: try row["chain_length"], chainHead: try row["chain_head"],
                status: try row["status"])
        }
        var ranges = totals.ranges(for: rows)
        var heads: [String: ChainedTotals.Head] = [:]
        repeat {
            var events: [String: [EventRecord]] = [:]
            for range in ranges {
                var bindings = PostgresBindings()
                bindings.append(range.runId)
                bindings.append(range.after)
                bindings.append(range.through)
                events[range.runId] = try await connection.rows(PostgresQuery(unsafeSQL: RunTreeSQL.eventRange, binds: bindings)).map(eventRecord)
            }
            ranges = try totals.check(rows, ranges: ranges, events: events, heads: &heads)
        } while !ranges.isEmpty
    }
}

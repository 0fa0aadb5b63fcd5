import GRDB
import RiskKernelCore

extension SQLiteStore {
    /// Checks the stored totals of the run tree rooted at `rootRunId` against the runs' chains
    /// (``ChainedTotals``), inside the caller's transaction; throws ``StoreError/tampered(runId:detail:)``.
    static func checkTotals(_ db: Database, rootRunId: String, _ totals: ChainedTotals) throws {
        let rows = try db.cachedStatement(sql: RunTreeSQL.treeTotals).allRows([.text(rootRunId)]) { row in
            StoredTotals(
                runId: row.text(0), parentRunId: row.optionalText(1), usage: usage(row, from: 2), treeUsage: usage(row, from: 9),
                chainLength: row.int64(16), chainHead: row.text(17), status: row.text(18))
        }
        var ranges = totals.ranges(for: rows)
        var heads: [String: ChainedTotals.Head] = [:]
        repeat {
            var events: [String: [EventRecord]] = [:]
            for range in ranges {
                events[range.runId] = try Row.fetchAll(
                    db.cachedStatement(sql: RunTreeSQL.eventRange), arguments: [range.runId, range.after, range.through]
                ).map(eventRecord)
            }
            ranges = try totals.check(rows, ranges: ranges, events: events, heads: &heads)
        } while !ranges.isEmpty
    }

    /// ``checkTotals(_:rootRunId:_:)`` on the writer's connection, skipped when that connection
    /// checked the tree since another connection last committed (SQLite's `PRAGMA data_version`,
    /// ``ChainedTotals/wasChecked(_:atVersion:)``). A change by any other process or connection,
    /// such as an edited total, moves the version, and the next decision checks the tree again.
    static func checkTotalsOnWriter(_ db: Database, rootRunId: String, _ totals: ChainedTotals) throws {
        let version = try db.cachedStatement(sql: "PRAGMA data_version").firstRow([]) { $0.int64(0) } ?? 0
        guard !totals.wasChecked(rootRunId, atVersion: version) else { return }
        try checkTotals(db, rootRunId: rootRunId, totals)
        totals.checked(rootRunId, atVersion: version)
    }
}

import Foundation
import GRDB

extension SQLiteStore {
    /// Executes a ``LedgerPlan`` inside the caller's transaction: each statement, and each event
    /// appended to its run's chain at `time`, in the plan's order. `chain`, when given, learns
    /// the heads the events move to. `anchors` are chains' ends the caller read in this
    /// transaction (``ancestryAndAnchors(_:runId:)``); a run's anchor is read once at most.
    static func execute(_ db: Database, _ plan: LedgerPlan, at time: Date, chain: ChainedTotals? = nil, anchors: [String: ChainAnchor] = [:]) throws {
        var anchors = anchors
        for step in plan.steps {
            switch step {
            case .statement(let sql, let values):
                try db.cachedStatement(sql: sql).run(values)
            case .event(let runId, let kind, let data, let update):
                anchors[runId] = try appendEvent(db, runId: runId, kind: kind, data: data, at: time, chain: chain, anchor: anchors[runId], update: update)
            }
        }
    }
}

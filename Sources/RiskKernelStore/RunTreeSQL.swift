/// SQL shared by the stores (the same text runs on SQLite and PostgreSQL).
enum RunTreeSQL {
    /// A `WITH RECURSIVE` prefix naming `tree(id)`: every run of the tree that the run bound to the
    /// single parameter belongs to (its root and all the root's descendants).
    static let treeOfRun = """
        WITH RECURSIVE up(id, parent) AS (
            SELECT id, parent_run_id FROM runs WHERE id = $1
            UNION ALL SELECT r.id, r.parent_run_id FROM runs r JOIN up ON r.id = up.parent
        ),
        tree(id) AS (
            SELECT id FROM up WHERE parent IS NULL
            UNION ALL SELECT r.id FROM runs r JOIN tree ON r.parent_run_id = tree.id
        )
        """

    /// The calls of the tree created at or after the second parameter that were not refused.
    static let recentCalls = treeOfRun + """
        SELECT tool, created_at FROM tool_calls
        WHERE run_id IN (SELECT id FROM tree) AND created_at >= $2 AND decision <> 'deny' AND status NOT IN ('refused', 'cancelled')
        ORDER BY created_at
        """

    /// The newest approval of the tree with the match key `$2` that no call has used yet.
    static let matchingApproval = treeOfRun + """
        SELECT * FROM approvals
        WHERE match_key = $2 AND consumed_by IS NULL AND run_id IN (SELECT id FROM tree)
        ORDER BY created_at DESC, rowid DESC LIMIT 1
        """

    /// Tool calls let through, grouped by tool, within `[$1, $2)` in milliseconds.
    static let callsByTool = """
        SELECT tool, COUNT(*) AS calls FROM tool_calls
        WHERE status IN ('forwarded', 'succeeded', 'failed') AND created_at >= $1 AND created_at < $2
        GROUP BY tool
        """

    /// Tool spend, grouped by tool, within `[$1, $2)` in milliseconds.
    static let spendByTool = """
        SELECT tool, CAST(SUM(dollars_micros) AS BIGINT) AS micros FROM ledger_entries
        WHERE kind = 'tool' AND created_at >= $1 AND created_at < $2
        GROUP BY tool
        """
}

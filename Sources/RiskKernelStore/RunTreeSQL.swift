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

    /// Every run of the tree rooted at the run bound to `$1` (itself and all its descendants),
    /// with the columns of ``StoredTotals`` in order: id, parent, the seven usage columns, the seven
    /// tree usage columns, the chain's length and head, the status.
    static let treeTotals = """
        WITH RECURSIVE tree(id) AS (
            SELECT id FROM runs WHERE id = $1
            UNION ALL SELECT r.id FROM runs r JOIN tree ON r.parent_run_id = tree.id
        )
        SELECT id, parent_run_id, prompt_tokens, completion_tokens, cached_prompt_tokens, dollars_micros, loops, model_calls, tool_calls,
            tree_prompt_tokens, tree_completion_tokens, tree_cached_prompt_tokens, tree_dollars_micros, tree_loops, tree_model_calls,
            tree_tool_calls, chain_length, chain_head, status
        FROM runs WHERE id IN (SELECT id FROM tree)
        """

    /// The events of the run bound to `$1` with sequences in `$2 < sequence <= $3`, in order.
    static let eventRange = """
        SELECT run_id, sequence, kind, body, previous_hash, hash, created_at FROM events
        WHERE run_id = $1 AND sequence > $2 AND sequence <= $3 ORDER BY sequence
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

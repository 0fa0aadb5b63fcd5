/// Where a tool call's arguments are kept, in both stores.
///
/// A call's row in `tool_calls` is updated when its outcome is recorded, and SQLite rewrites a
/// whole row on `UPDATE`, overflow pages included (a row longer than a page keeps its tail in
/// overflow pages: https://sqlite.org/fileformat2.html#ovflpgs). So arguments whose canonical text
/// is longer than ``inlineLimit`` bytes (the arguments or the forwarded arguments) are written once,
/// both, to `tool_call_arguments`; the call's row then keeps an empty `arguments` and a NULL
/// `forwarded_arguments`. Every read of a call goes through ``select``, which puts them back.
enum ToolCallRows {
    /// The longest arguments text, in UTF-8 bytes, kept in the call's own row: a quarter of
    /// SQLite's default 4,096-byte page, so that a row with its result still fits in a page or two.
    static let inlineLimit = 1024

    /// Whether a call with these canonical texts keeps them in `tool_call_arguments`.
    static func keepsAside(_ arguments: String, _ forwarded: String?) -> Bool {
        arguments.utf8.count > inlineLimit || (forwarded?.utf8.count ?? 0) > inlineLimit
    }

    /// The columns of `tool_calls` with `arguments` and `forwarded_arguments` taken from
    /// `tool_call_arguments` where the call has a row there; add `WHERE` and `ORDER BY` on
    /// `tool_calls`' columns.
    static let select = """
        SELECT tool_calls.id, tool_calls.run_id, tool_calls.request_id, tool_calls.tool, tool_calls.side_effect,
            COALESCE(aside.arguments, tool_calls.arguments) AS arguments,
            COALESCE(aside.forwarded_arguments, tool_calls.forwarded_arguments) AS forwarded_arguments,
            tool_calls.decision, tool_calls.rule, tool_calls.reason, tool_calls.approval_id, tool_calls.status, tool_calls.result,
            tool_calls.result_digest, tool_calls.result_bytes, tool_calls.is_error, tool_calls.duration_ms, tool_calls.created_at,
            tool_calls.completed_at
        FROM tool_calls LEFT JOIN tool_call_arguments AS aside ON aside.call_id = tool_calls.id
        """
}

import GRDB

/// The SQLite schema as a list of forward-only migrations. A migration, once released, never changes;
/// new ones are appended.
enum SQLiteSchema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE policies (
                    name TEXT PRIMARY KEY NOT NULL,
                    document TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT,
                    parent_run_id TEXT REFERENCES runs(id),
                    policy_ref TEXT,
                    budget_tokens INTEGER, budget_dollars_micros INTEGER, budget_loops INTEGER, budget_seconds INTEGER,
                    prompt_tokens INTEGER NOT NULL DEFAULT 0,
                    completion_tokens INTEGER NOT NULL DEFAULT 0,
                    cached_prompt_tokens INTEGER NOT NULL DEFAULT 0,
                    dollars_micros INTEGER NOT NULL DEFAULT 0,
                    loops INTEGER NOT NULL DEFAULT 0,
                    model_calls INTEGER NOT NULL DEFAULT 0,
                    tool_calls INTEGER NOT NULL DEFAULT 0,
                    tree_prompt_tokens INTEGER NOT NULL DEFAULT 0,
                    tree_completion_tokens INTEGER NOT NULL DEFAULT 0,
                    tree_cached_prompt_tokens INTEGER NOT NULL DEFAULT 0,
                    tree_dollars_micros INTEGER NOT NULL DEFAULT 0,
                    tree_loops INTEGER NOT NULL DEFAULT 0,
                    tree_model_calls INTEGER NOT NULL DEFAULT 0,
                    tree_tool_calls INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL,
                    halt_reason TEXT,
                    metadata TEXT NOT NULL DEFAULT '{}',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    ended_at INTEGER
                );
                CREATE INDEX runs_by_status ON runs(status, created_at);
                CREATE INDEX runs_by_parent ON runs(parent_run_id);
                CREATE TABLE steps (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    step_index INTEGER NOT NULL,
                    ledger_entry_id TEXT,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (run_id, step_index)
                );
                CREATE TABLE ledger_entries (
                    id TEXT PRIMARY KEY NOT NULL,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    kind TEXT NOT NULL,
                    provider TEXT, model TEXT, tool TEXT,
                    prompt_tokens INTEGER NOT NULL DEFAULT 0,
                    completion_tokens INTEGER NOT NULL DEFAULT 0,
                    cached_prompt_tokens INTEGER NOT NULL DEFAULT 0,
                    dollars_micros INTEGER NOT NULL DEFAULT 0,
                    priced INTEGER NOT NULL,
                    response_id TEXT,
                    step_index INTEGER,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX ledger_by_run ON ledger_entries(run_id, created_at);
                CREATE INDEX ledger_by_time ON ledger_entries(created_at);
                CREATE TABLE tool_calls (
                    id TEXT PRIMARY KEY NOT NULL,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    request_id TEXT NOT NULL,
                    tool TEXT NOT NULL,
                    side_effect TEXT NOT NULL,
                    arguments TEXT NOT NULL,
                    decision TEXT NOT NULL,
                    rule TEXT,
                    reason TEXT,
                    approval_id TEXT,
                    status TEXT NOT NULL,
                    result TEXT,
                    result_digest TEXT,
                    result_bytes INTEGER,
                    is_error INTEGER NOT NULL DEFAULT 0,
                    duration_ms REAL,
                    created_at INTEGER NOT NULL,
                    completed_at INTEGER
                );
                CREATE INDEX tool_calls_by_run ON tool_calls(run_id, created_at);
                CREATE TABLE approvals (
                    id TEXT PRIMARY KEY NOT NULL,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    tool_call_id TEXT NOT NULL REFERENCES tool_calls(id),
                    tool TEXT NOT NULL,
                    side_effect TEXT NOT NULL,
                    arguments TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    status TEXT NOT NULL,
                    decided_by TEXT,
                    reason TEXT,
                    created_at INTEGER NOT NULL,
                    decided_at INTEGER,
                    expires_at INTEGER
                );
                CREATE INDEX approvals_by_status ON approvals(status, created_at);
                CREATE INDEX approvals_by_run ON approvals(run_id);
                CREATE TABLE facts (
                    namespace TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    run_id TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (namespace, key)
                );
                CREATE TABLE checkpoints (
                    id TEXT PRIMARY KEY NOT NULL,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    name TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX checkpoints_by_run ON checkpoints(run_id, created_at);
                CREATE TABLE events (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    sequence INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    body TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (run_id, sequence)
                );
                """)
        }
        migrator.registerMigration("v2-chain-heads-and-attributions") { db in
            try db.execute(sql: """
                ALTER TABLE runs ADD COLUMN chain_length INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE runs ADD COLUMN chain_head TEXT NOT NULL DEFAULT '\(String(repeating: "0", count: 64))';
                UPDATE runs SET
                    chain_length = COALESCE((SELECT MAX(sequence) FROM events WHERE events.run_id = runs.id), 0),
                    chain_head = COALESCE((SELECT hash FROM events WHERE events.run_id = runs.id ORDER BY sequence DESC LIMIT 1), chain_head);
                CREATE TABLE attributions (
                    id TEXT PRIMARY KEY NOT NULL,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    author TEXT NOT NULL,
                    author_type TEXT NOT NULL,
                    file TEXT NOT NULL,
                    lines_added INTEGER NOT NULL,
                    lines_removed INTEGER NOT NULL,
                    tokens INTEGER NOT NULL,
                    base_ref TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX attributions_by_run ON attributions(run_id);
                """)
        }
        migrator.registerMigration("v3-tool-pins-and-forwarded-arguments") { db in
            try db.execute(sql: """
                ALTER TABLE tool_calls ADD COLUMN forwarded_arguments TEXT;
                CREATE TABLE tool_pins (
                    server TEXT NOT NULL,
                    tool TEXT NOT NULL,
                    pinned_hash TEXT,
                    pinned_definition TEXT,
                    pinned_at INTEGER,
                    seen_hash TEXT NOT NULL,
                    seen_definition TEXT NOT NULL,
                    seen_at INTEGER NOT NULL,
                    seen_run_id TEXT,
                    PRIMARY KEY (server, tool)
                );
                """)
        }
        migrator.registerMigration("v4-gateway-owners") { db in
            // The gateway process serving a run, so that a later start can tell a run whose gateway died.
            try db.execute(sql: """
                ALTER TABLE runs ADD COLUMN gateway_host TEXT;
                ALTER TABLE runs ADD COLUMN gateway_pid INTEGER;
                ALTER TABLE runs ADD COLUMN gateway_process_start TEXT;
                CREATE INDEX runs_by_gateway_host ON runs(gateway_host, status);
                CREATE INDEX approvals_by_expiry ON approvals(status, expires_at);
                """)
        }
        migrator.registerMigration("v5-usage-by-model-index") { db in
            // Covers `usage --by model` (with or without a time range): the ledger is read in model
            // order from the index alone, with no sort and no table lookups.
            try db.execute(sql: """
                CREATE INDEX ledger_usage_by_model ON ledger_entries(kind, model, created_at, prompt_tokens, completion_tokens, dollars_micros);
                """)
        }
        migrator.registerMigration("v6-approval-match-keys-and-grants") { db in
            // An identical retry finds its approval by a keyed digest of what will run; an approval
            // is used by one request; the arguments that will run are shown to the approver.
            try db.execute(sql: """
                ALTER TABLE approvals ADD COLUMN forwarded_arguments TEXT;
                ALTER TABLE approvals ADD COLUMN match_key TEXT;
                ALTER TABLE approvals ADD COLUMN consumed_by TEXT;
                ALTER TABLE approvals ADD COLUMN consumed_at INTEGER;
                CREATE INDEX approvals_by_match_key ON approvals(match_key, created_at);
                CREATE TABLE store_secrets (
                    name TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                ALTER TABLE approvals ADD COLUMN server TEXT;
                CREATE TABLE grants (
                    id TEXT PRIMARY KEY NOT NULL,
                    scope TEXT NOT NULL,
                    server TEXT NOT NULL,
                    tool TEXT NOT NULL,
                    root_run_id TEXT,
                    approval_id TEXT NOT NULL REFERENCES approvals(id),
                    granted_by TEXT,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    revoked_at INTEGER
                );
                CREATE INDEX grants_by_tool ON grants(tool, revoked_at);
                """)
        }
        migrator.registerMigration("v7-seals") { db in
            // Signed chain heads (`riskkernel audit seal`), kept with the store as well as in a seal file.
            try db.execute(sql: """
                CREATE TABLE seals (
                    id TEXT PRIMARY KEY NOT NULL,
                    sealed_at INTEGER NOT NULL,
                    envelope TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v8-consoles") { db in
            // The approvals consoles serving this store (`riskkernel console`), for the links in
            // gateways' pending notices; a record whose heartbeat is old is of a console that died.
            try db.execute(sql: """
                CREATE TABLE consoles (
                    url TEXT PRIMARY KEY NOT NULL,
                    host TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    heartbeat_at INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v9-tool-call-arguments-aside") { db in
            // Large arguments are written once, outside the call's row: SQLite rewrites a whole row on
            // UPDATE, overflow pages included, so recording an outcome rewrote them (ToolCallRows).
            try db.execute(sql: """
                CREATE TABLE tool_call_arguments (
                    call_id TEXT PRIMARY KEY NOT NULL REFERENCES tool_calls(id),
                    arguments TEXT NOT NULL,
                    forwarded_arguments TEXT
                );
                """)
        }
        return migrator
    }
}

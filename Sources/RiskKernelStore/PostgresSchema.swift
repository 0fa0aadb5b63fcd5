/// The PostgreSQL schema: the same tables, columns and migration identifiers as ``SQLiteSchema``,
/// in PostgreSQL's types (BIGINT money in micro-dollars and times in milliseconds, BOOLEAN flags).
/// Tables that SQLite reads in insertion order (`rowid`) carry an identity column of that name.
/// A migration, once released, never changes; new ones are appended, with the same identifier as
/// SQLite's, so that both stores are at the same schema version.
enum PostgresSchema {
    /// The table that lists applied migrations.
    static let migrationsTable = "schema_migrations"

    static let migrations: [(identifier: String, statements: [String])] = [
        ("v1", [
            """
            CREATE TABLE policies (
                name TEXT PRIMARY KEY NOT NULL,
                document TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
                )
            """,
            """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY NOT NULL,
                rowid BIGINT GENERATED ALWAYS AS IDENTITY,
                name TEXT,
                parent_run_id TEXT REFERENCES runs(id),
                policy_ref TEXT,
                budget_tokens BIGINT, budget_dollars_micros BIGINT, budget_loops BIGINT, budget_seconds BIGINT,
                prompt_tokens BIGINT NOT NULL DEFAULT 0,
                completion_tokens BIGINT NOT NULL DEFAULT 0,
                cached_prompt_tokens BIGINT NOT NULL DEFAULT 0,
                dollars_micros BIGINT NOT NULL DEFAULT 0,
                loops BIGINT NOT NULL DEFAULT 0,
                model_calls BIGINT NOT NULL DEFAULT 0,
                tool_calls BIGINT NOT NULL DEFAULT 0,
                tree_prompt_tokens BIGINT NOT NULL DEFAULT 0,
                tree_completion_tokens BIGINT NOT NULL DEFAULT 0,
                tree_cached_prompt_tokens BIGINT NOT NULL DEFAULT 0,
                tree_dollars_micros BIGINT NOT NULL DEFAULT 0,
                tree_loops BIGINT NOT NULL DEFAULT 0,
                tree_model_calls BIGINT NOT NULL DEFAULT 0,
                tree_tool_calls BIGINT NOT NULL DEFAULT 0,
                status TEXT NOT NULL,
                halt_reason TEXT,
                metadata TEXT NOT NULL DEFAULT '{}',
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                ended_at BIGINT
                )
            """,
            """
            CREATE INDEX runs_by_status ON runs(status, created_at)
            """,
            """
            CREATE INDEX runs_by_parent ON runs(parent_run_id)
            """,
            """
            CREATE TABLE steps (
                run_id TEXT NOT NULL REFERENCES runs(id),
                step_index BIGINT NOT NULL,
                ledger_entry_id TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (run_id, step_index)
                )
            """,
            """
            CREATE TABLE ledger_entries (
                id TEXT PRIMARY KEY NOT NULL,
                rowid BIGINT GENERATED ALWAYS AS IDENTITY,
                run_id TEXT NOT NULL REFERENCES runs(id),
                kind TEXT NOT NULL,
                provider TEXT, model TEXT, tool TEXT,
                prompt_tokens BIGINT NOT NULL DEFAULT 0,
                completion_tokens BIGINT NOT NULL DEFAULT 0,
                cached_prompt_tokens BIGINT NOT NULL DEFAULT 0,
                dollars_micros BIGINT NOT NULL DEFAULT 0,
                priced BOOLEAN NOT NULL,
                response_id TEXT,
                step_index BIGINT,
                created_at BIGINT NOT NULL
                )
            """,
            """
            CREATE INDEX ledger_by_run ON ledger_entries(run_id, created_at)
            """,
            """
            CREATE INDEX ledger_by_time ON ledger_entries(created_at)
            """,
            """
            CREATE TABLE tool_calls (
                id TEXT PRIMARY KEY NOT NULL,
                rowid BIGINT GENERATED ALWAYS AS IDENTITY,
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
                result_bytes BIGINT,
                is_error BOOLEAN NOT NULL DEFAULT FALSE,
                duration_ms DOUBLE PRECISION,
                created_at BIGINT NOT NULL,
                completed_at BIGINT
                )
            """,
            """
            CREATE INDEX tool_calls_by_run ON tool_calls(run_id, created_at)
            """,
            """
            CREATE TABLE approvals (
                id TEXT PRIMARY KEY NOT NULL,
                rowid BIGINT GENERATED ALWAYS AS IDENTITY,
                run_id TEXT NOT NULL REFERENCES runs(id),
                tool_call_id TEXT NOT NULL REFERENCES tool_calls(id),
                tool TEXT NOT NULL,
                side_effect TEXT NOT NULL,
                arguments TEXT NOT NULL,
                rule TEXT NOT NULL,
                status TEXT NOT NULL,
                decided_by TEXT,
                reason TEXT,
                created_at BIGINT NOT NULL,
                decided_at BIGINT,
                expires_at BIGINT
                )
            """,
            """
            CREATE INDEX approvals_by_status ON approvals(status, created_at)
            """,
            """
            CREATE INDEX approvals_by_run ON approvals(run_id)
            """,
            """
            CREATE TABLE facts (
                namespace TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                run_id TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (namespace, key)
                )
            """,
            """
            CREATE TABLE checkpoints (
                id TEXT PRIMARY KEY NOT NULL,
                run_id TEXT NOT NULL REFERENCES runs(id),
                name TEXT NOT NULL,
                payload TEXT NOT NULL,
                sequence BIGINT NOT NULL,
                created_at BIGINT NOT NULL
                )
            """,
            """
            CREATE INDEX checkpoints_by_run ON checkpoints(run_id, created_at)
            """,
            """
            CREATE TABLE events (
                run_id TEXT NOT NULL REFERENCES runs(id),
                sequence BIGINT NOT NULL,
                kind TEXT NOT NULL,
                body TEXT NOT NULL,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (run_id, sequence)
                )
            """,
        ]),
        ("v2-chain-heads-and-attributions", [
            """
            ALTER TABLE runs ADD COLUMN chain_length BIGINT NOT NULL DEFAULT 0
            """,
            """
            ALTER TABLE runs ADD COLUMN chain_head TEXT NOT NULL DEFAULT '\(EventChain.genesisHash)'
            """,
            """
            UPDATE runs SET
                chain_length = COALESCE((SELECT MAX(sequence) FROM events WHERE events.run_id = runs.id), 0),
                chain_head = COALESCE((SELECT hash FROM events WHERE events.run_id = runs.id ORDER BY sequence DESC LIMIT 1), chain_head)
            """,
            """
            CREATE TABLE attributions (
                id TEXT PRIMARY KEY NOT NULL,
                rowid BIGINT GENERATED ALWAYS AS IDENTITY,
                run_id TEXT NOT NULL REFERENCES runs(id),
                author TEXT NOT NULL,
                author_type TEXT NOT NULL,
                file TEXT NOT NULL,
                lines_added BIGINT NOT NULL,
                lines_removed BIGINT NOT NULL,
                tokens BIGINT NOT NULL,
                base_ref TEXT NOT NULL,
                created_at BIGINT NOT NULL
                )
            """,
            """
            CREATE INDEX attributions_by_run ON attributions(run_id)
            """,
        ]),
        ("v3-tool-pins-and-forwarded-arguments", [
            """
            ALTER TABLE tool_calls ADD COLUMN forwarded_arguments TEXT
            """,
            """
            CREATE TABLE tool_pins (
                server TEXT NOT NULL,
                tool TEXT NOT NULL,
                pinned_hash TEXT,
                pinned_definition TEXT,
                pinned_at BIGINT,
                seen_hash TEXT NOT NULL,
                seen_definition TEXT NOT NULL,
                seen_at BIGINT NOT NULL,
                seen_run_id TEXT,
                PRIMARY KEY (server, tool)
                )
            """,
        ]),
        ("v4-gateway-owners", [
            "ALTER TABLE runs ADD COLUMN gateway_host TEXT",
            "ALTER TABLE runs ADD COLUMN gateway_pid BIGINT",
            "ALTER TABLE runs ADD COLUMN gateway_process_start TEXT",
            "CREATE INDEX runs_by_gateway_host ON runs(gateway_host, status)",
            "CREATE INDEX approvals_by_expiry ON approvals(status, expires_at)",
        ]),
        ("v5-usage-by-model-index", [
            "CREATE INDEX ledger_usage_by_model ON ledger_entries(kind, model, created_at, prompt_tokens, completion_tokens, dollars_micros)",
        ]),
        ("v6-approval-match-keys-and-grants", [
            "ALTER TABLE approvals ADD COLUMN forwarded_arguments TEXT",
            "ALTER TABLE approvals ADD COLUMN match_key TEXT",
            "ALTER TABLE approvals ADD COLUMN consumed_by TEXT",
            "ALTER TABLE approvals ADD COLUMN consumed_at BIGINT",
            "CREATE INDEX approvals_by_match_key ON approvals(match_key, created_at)",
            "CREATE TABLE store_secrets (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
            "ALTER TABLE approvals ADD COLUMN server TEXT",
            """
            CREATE TABLE grants (
                id TEXT PRIMARY KEY NOT NULL,
                scope TEXT NOT NULL,
                server TEXT NOT NULL,
                tool TEXT NOT NULL,
                root_run_id TEXT,
                approval_id TEXT NOT NULL REFERENCES approvals(id),
                granted_by TEXT,
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                revoked_at BIGINT,
                rowid BIGINT GENERATED ALWAYS AS IDENTITY
            )
            """,
            "CREATE INDEX grants_by_tool ON grants(tool, revoked_at)",
        ]),
        ("v7-seals", [
            """
            CREATE TABLE seals (
                id TEXT PRIMARY KEY NOT NULL,
                sealed_at BIGINT NOT NULL,
                envelope TEXT NOT NULL,
                rowid BIGINT GENERATED ALWAYS AS IDENTITY
            )
            """,
        ]),
        ("v8-consoles", [
            """
            CREATE TABLE consoles (
                url TEXT PRIMARY KEY NOT NULL,
                host TEXT NOT NULL,
                pid BIGINT NOT NULL,
                heartbeat_at BIGINT NOT NULL
            )
            """,
        ]),
        ("v9-tool-call-arguments-aside", [
            """
            CREATE TABLE tool_call_arguments (
                call_id TEXT PRIMARY KEY NOT NULL REFERENCES tool_calls(id),
                arguments TEXT NOT NULL,
                forwarded_arguments TEXT
            )
            """,
        ]),
    ]

    static var identifiers: [String] { migrations.map(\.identifier) }
}

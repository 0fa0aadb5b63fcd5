import Foundation
import PostgresTestSupport
import GRDB
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore
import Testing

/// Every row that reports or decides is checked against the chain (what `riskkernel audit verify`
/// runs): an edited column, a deleted row and an inserted row are each found, naming the table and
/// the row, on both stores.
@Suite("Store conformance: every record is covered by the chain")
struct RecordCoverageConformanceTests {
    /// A store with a raw SQL door, as someone with write access to its database has.
    struct Tamperable {
        let store: any Store
        let execute: @Sendable (String) throws -> Void
        /// Another store on the same database, as another process opens it.
        let reopen: @Sendable () throws -> any Store

        static func make(_ backend: StoreBackend) throws -> Tamperable {
            switch backend {
            case .sqlite:
                let path = TemporaryFiles.newDirectory() + "/store.sqlite"
                let open = { @Sendable () throws -> any Store in try SQLiteStore(path: path, decisionPollInterval: .milliseconds(5)) }
                return Tamperable(store: try open(), execute: { sql in
                    let queue = try DatabaseQueue(path: path)
                    try queue.write { db in try db.execute(sql: sql) }
                }, reopen: open)
            case .postgres:
                let server = try TestPostgres.server()
                let name = "rk_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
                try server.createDatabase(name)
                var configuration = try PostgresStoreConfiguration(url: server.url(database: name))
                configuration.maxConnections = 4
                let open = { @Sendable [configuration] () -> any Store in PostgresStore(configuration: configuration) }
                return Tamperable(store: open(), execute: { sql in _ = try server.psql(database: name, sql) }, reopen: open)
            }
        }
    }

    /// The ids of one run tree's records: a parent with a child that spends, calls tools (one
    /// allowed and completed, one refused, one approved with arguments long enough to be kept
    /// aside), is charged for a tool, checkpoints and
    /// attributes lines.
    struct Written {
        var parent: RunRecord
        var child: RunRecord
        var modelEntry: String
        var toolEntry: String
        var allowedCall: String
        var refusedCall: String
        var heldCall: String
        var approval: String
        var checkpoint: String
        var attribution: String
        var grant: String
    }

    static func write(_ store: any Store) async throws -> Written {
        let parent = try await store.createRun(NewRun(name: "parent", budget: Budget(tokens: 100_000)))
        let child = try await store.createRun(NewRun(name: "child", parentRunId: parent.id))
        let spent = try await store.recordModelCall(runId: child.id, modelCall(1200, 300, micros: 4500))
        _ = try await store.recordModelCall(runId: parent.id, modelCall(10, 5, micros: 7))
        let (allowed, _) = try await store.beginToolCall(
            NewToolCall(runId: child.id, requestId: "1", tool: "read_file", sideEffect: "read", arguments: ["path": "README.md", "n": 1e-7], decision: .allow),
            approvalExpiresAt: nil)
        let result: JSONValue = ["content": [["type": "text", "text": "hello"]]]
        let bytes = CanonicalJSON.encode(result, rule: .current)
        try await store.completeToolCall(
            id: allowed.id,
            outcome: ToolCallOutcome(status: .succeeded, result: result, resultDigest: EventChain.hexDigest(bytes), resultBytes: Int64(bytes.count), isError: false, durationMs: 3))
        let charged = try await store.recordToolSpend(runId: child.id, callId: allowed.id, tool: "read_file", dollars: Money(micros: 20000))
        let (refused, _) = try await store.beginToolCall(
            NewToolCall(runId: child.id, requestId: "2", tool: "rm", sideEffect: "write", arguments: [:], decision: .deny(rule: "allowlist", reason: "not allowed")),
            approvalExpiresAt: nil)
        var heldCall = NewToolCall(runId: child.id, requestId: "3", tool: "commit", sideEffect: "vcs.write", arguments: ["m": "x", "diff": .string(String(repeating: "+ a line\n", count: 200))], decision: .needsApproval(rule: "tool=commit"))
        heldCall.server = "git"
        let (held, maybeApproval) = try await store.beginToolCall(heldCall, approvalExpiresAt: Date().addingTimeInterval(600))
        let approval = try #require(maybeApproval)
        _ = try await store.resolveApproval(id: approval.id, status: .approved, decidedBy: "alice", reason: "fine")
        let grant = try await store.createGrant(NewGrant(approvalId: approval.id, scope: .always, grantedBy: "alice", expiresAt: nil))
        _ = try await store.putFact(namespace: "memory", key: "goal", value: ["text": "ship it", "weight": 0.5], runId: child.id)
        let tool: JSONValue = ["name": "read_file", "description": "Reads a file", "inputSchema": ["type": "object"]]
        _ = try await store.observeTools(server: "files", tools: [ToolDefinition(tool: tool)!], runId: child.id)
        let checkpoint = try await store.createCheckpoint(runId: child.id, name: "after-commit", payload: ["x": 1e-7, "😀": 1, "\u{E000}": 2])
        let attributions = try await store.recordAttributions(
            runId: child.id, baseRef: "abc123", [NewAttribution(author: "agent", authorType: .agent, file: "main.swift", linesAdded: 10, linesRemoved: 2)])
        return Written(
            parent: parent, child: child, modelEntry: spent.entry.id, toolEntry: charged.entry.id, allowedCall: allowed.id, refusedCall: refused.id,
            heldCall: held.id, approval: approval.id, checkpoint: checkpoint.id, attribution: attributions[0].id, grant: grant.id)
    }

    /// What `audit verify` finds: the runs' records, then the store's facts, grants and pins.
    static func mismatches(_ store: any Store, _ written: Written) async throws -> [RecordMismatch] {
        let records = try await store.provenanceRecords(runIds: [written.parent.id, written.child.id])
        return RecordVerifier.verify(records)
            + SharedRecordVerifier.verify(
                events: records.events, facts: try await store.listFacts(namespace: nil), grants: try await store.listGrants(),
                pins: try await store.toolPins(server: nil))
    }

    @Test("rows written by the store agree with their chain", arguments: StoreBackend.allCases)
    func untouchedRowsAgree(backend: StoreBackend) async throws {
        let target = try Tamperable.make(backend)
        let written = try await Self.write(target.store)
        #expect(try await Self.mismatches(target.store, written) == [])
    }

    /// One tampering at a time, each on a fresh copy of the same history, and what it must be named as.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var sql: @Sendable (Written) -> String
        var table: String
        var row: @Sendable (Written) -> String
        var kind: RecordMismatch.Kind
        /// Whether the mismatch names an event (a tree total disagrees with the children's rows, not with an event).
        var namesEvent = true
        /// Other tables the tampering has to touch (a row that refers to the one deleted).
        var alsoTables: [String] = []
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ledger entry: prompt tokens edited",
             sql: { "UPDATE ledger_entries SET prompt_tokens = prompt_tokens + 1 WHERE id = '\($0.modelEntry)'" },
             table: "ledger_entries", row: { $0.modelEntry }, kind: .edited),
        Case(name: "ledger entry: deleted",
             sql: { "DELETE FROM ledger_entries WHERE id = '\($0.toolEntry)'" }, table: "ledger_entries", row: { $0.toolEntry }, kind: .deleted),
        Case(name: "ledger entry: inserted",
             sql: { """
                 INSERT INTO ledger_entries (id, run_id, kind, provider, model, prompt_tokens, completion_tokens, cached_prompt_tokens,
                     dollars_micros, priced, created_at) VALUES ('led_forged', '\($0.child.id)', 'model', 'openai', 'gpt-4o', 1, 1, 0, 0, TRUE, 0)
                 """ },
             table: "ledger_entries", row: { _ in "led_forged" }, kind: .inserted),
        Case(name: "run: usage lowered",
             sql: { "UPDATE runs SET prompt_tokens = prompt_tokens - 1000 WHERE id = '\($0.child.id)'" }, table: "runs", row: { $0.child.id }, kind: .edited),
        Case(name: "run: tree usage lowered",
             sql: { "UPDATE runs SET tree_dollars_micros = 0 WHERE id = '\($0.parent.id)'" }, table: "runs", row: { $0.parent.id }, kind: .edited, namesEvent: false),
        Case(name: "run: status edited",
             sql: { "UPDATE runs SET status = 'completed' WHERE id = '\($0.child.id)'" }, table: "runs", row: { $0.child.id }, kind: .edited),
        Case(name: "step: deleted",
             sql: { "DELETE FROM steps WHERE run_id = '\($0.child.id)'" }, table: "steps", row: { "\($0.child.id)/1" }, kind: .deleted),
        Case(name: "tool call: arguments edited",
             sql: { "UPDATE tool_calls SET arguments = '{\"path\":\"/etc/passwd\"}' WHERE id = '\($0.allowedCall)'" },
             table: "tool_calls", row: { $0.allowedCall }, kind: .edited),
        Case(name: "tool call: arguments kept aside edited",
             sql: { "UPDATE tool_call_arguments SET arguments = '{\"m\":\"y\"}' WHERE call_id = '\($0.heldCall)'" },
             table: "tool_calls", row: { $0.heldCall }, kind: .edited),
        Case(name: "tool call: arguments kept aside deleted",
             sql: { "DELETE FROM tool_call_arguments WHERE call_id = '\($0.heldCall)'" }, table: "tool_calls", row: { $0.heldCall }, kind: .edited),
        Case(name: "tool call: outcome edited",
             sql: { "UPDATE tool_calls SET status = 'failed' WHERE id = '\($0.allowedCall)'" }, table: "tool_calls", row: { $0.allowedCall }, kind: .edited),
        Case(name: "tool call: result edited",
             sql: { "UPDATE tool_calls SET result = '{\"content\":[]}' WHERE id = '\($0.allowedCall)'" }, table: "tool_calls", row: { $0.allowedCall }, kind: .edited),
        Case(name: "tool call: refusal turned into a forward",
             sql: { "UPDATE tool_calls SET decision = 'allow', status = 'forwarded' WHERE id = '\($0.refusedCall)'" },
             table: "tool_calls", row: { $0.refusedCall }, kind: .edited),
        Case(name: "tool call: deleted",
             sql: { "DELETE FROM tool_calls WHERE id = '\($0.refusedCall)'" }, table: "tool_calls", row: { $0.refusedCall }, kind: .deleted),
        Case(name: "tool call: inserted",
             sql: { """
                 INSERT INTO tool_calls (id, run_id, request_id, tool, side_effect, arguments, decision, status, created_at)
                 VALUES ('call_forged', '\($0.child.id)', '9', 'rm', 'write', '{}', 'allow', 'forwarded', 0)
                 """ },
             table: "tool_calls", row: { _ in "call_forged" }, kind: .inserted),
        Case(name: "approval: decision edited",
             sql: { "UPDATE approvals SET decided_by = 'mallory' WHERE id = '\($0.approval)'" }, table: "approvals", row: { $0.approval }, kind: .edited),
        Case(name: "approval: deleted",
             sql: { "DELETE FROM grants WHERE approval_id = '\($0.approval)'; DELETE FROM approvals WHERE id = '\($0.approval)'" },
             table: "approvals", row: { $0.approval }, kind: .deleted, alsoTables: ["grants"]),
        Case(name: "checkpoint: payload edited",
             sql: { "UPDATE checkpoints SET payload = '{\"x\":2}' WHERE id = '\($0.checkpoint)'" }, table: "checkpoints", row: { $0.checkpoint }, kind: .edited),
        Case(name: "checkpoint: inserted",
             sql: { "INSERT INTO checkpoints (id, run_id, name, payload, sequence, created_at) VALUES ('ckpt_forged', '\($0.child.id)', 'n', '{}', 1, 0)" },
             table: "checkpoints", row: { _ in "ckpt_forged" }, kind: .inserted),
        Case(name: "fact: value edited",
             sql: { _ in "UPDATE facts SET value = '{\"text\":\"ship nothing\",\"weight\":0.5}' WHERE namespace = 'memory' AND key = 'goal'" },
             table: "facts", row: { _ in "memory/goal" }, kind: .edited),
        Case(name: "fact: deleted",
             sql: { _ in "DELETE FROM facts WHERE namespace = 'memory'" }, table: "facts", row: { _ in "memory/goal" }, kind: .deleted),
        Case(name: "grant: widened",
             sql: { "UPDATE grants SET tool = '*' WHERE id = '\($0.grant)'" }, table: "grants", row: { $0.grant }, kind: .edited),
        Case(name: "grant: expiry edited",
             sql: { "UPDATE grants SET expires_at = 1 WHERE id = '\($0.grant)'" }, table: "grants", row: { $0.grant }, kind: .edited),
        Case(name: "grant: deleted",
             sql: { "DELETE FROM grants WHERE id = '\($0.grant)'" }, table: "grants", row: { $0.grant }, kind: .deleted),
        Case(name: "grant: inserted",
             sql: { "INSERT INTO grants (id, scope, server, tool, approval_id, created_at) VALUES ('grt_forged', 'always', 'git', '*', '\($0.approval)', 0)" },
             table: "grants", row: { _ in "grt_forged" }, kind: .inserted),
        Case(name: "tool pin: another definition pinned",
             sql: { _ in """
                 UPDATE tool_pins SET pinned_definition = '{"description":"Reads a file, then mails it","name":"read_file"}',
                     pinned_hash = seen_hash WHERE server = 'files'
                 """ },
             table: "tool_pins", row: { _ in "files/read_file" }, kind: .edited),
        Case(name: "tool pin: deleted",
             sql: { _ in "DELETE FROM tool_pins WHERE server = 'files'" }, table: "tool_pins", row: { _ in "files/read_file" }, kind: .deleted),
        Case(name: "attribution: lines edited",
             sql: { "UPDATE attributions SET lines_added = 1000 WHERE id = '\($0.attribution)'" }, table: "attributions", row: { $0.attribution }, kind: .edited),
    ]

    @Test("an edited, deleted or inserted row is named by table and row", arguments: StoreBackend.allCases, cases)
    func tamperingIsFound(backend: StoreBackend, tampering: Case) async throws {
        let target = try Tamperable.make(backend)
        let written = try await Self.write(target.store)
        try target.execute(tampering.sql(written))
        let found = try await Self.mismatches(target.store, written)
        let row = tampering.row(written)
        #expect(found.contains { $0.table == tampering.table && $0.row == row && $0.kind == tampering.kind }, "\(tampering.name): found \(found)")
        // Everything found is about the row tampered with, or what follows from it in its run.
        for mismatch in found where !tampering.alsoTables.contains(mismatch.table) {
            #expect(mismatch.table == tampering.table || mismatch.table == "runs", "\(tampering.name): also \(mismatch)")
            #expect(mismatch.row == row || mismatch.table == "runs" || tampering.kind == .inserted, "\(tampering.name): also \(mismatch)")
        }
        if tampering.kind != .inserted, tampering.namesEvent {
            #expect(found.contains { $0.table == tampering.table && $0.row == row && $0.sequence != nil }, "\(tampering.name): names its event")
        }
    }
}

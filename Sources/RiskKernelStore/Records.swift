import Foundation
import RiskKernelCore

/// The life of a run.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    /// A gateway is (or was last seen) serving it.
    case running
    /// A budget was crossed or an operator stopped it; it forwards no more calls.
    case halted
    /// Ended normally.
    case completed
    /// Ended because its gateway failed (an upstream crash, say).
    case failed
    /// A sub-agent's run whose work was merged into its parent.
    case merged
    /// A sub-agent's run whose work was thrown away.
    case discarded

    /// Whether the run has ended for good.
    public var isClosed: Bool { self == .completed || self == .failed || self == .merged || self == .discarded }
}

/// One agent run: usually one gateway process.
public struct RunRecord: Sendable, Hashable, Codable {
    public var id: String
    public var name: String?
    public var parentRunId: String?
    /// The stored policy's name, or the file it came from.
    public var policyRef: String?
    /// The budget in force (policy budget with overrides).
    public var budget: Budget
    /// What the run itself has spent (children not included).
    public var usage: Usage
    /// What the run and all its descendants have spent: what its budget is checked against.
    public var treeUsage: Usage
    public var status: RunStatus
    public var haltReason: String?
    public var metadata: [String: String]
    public var createdAt: Date
    public var updatedAt: Date
    public var endedAt: Date?

    public init(id: String, name: String?, parentRunId: String?, policyRef: String?, budget: Budget, usage: Usage, treeUsage: Usage, status: RunStatus, haltReason: String?, metadata: [String: String], createdAt: Date, updatedAt: Date, endedAt: Date?) {
        self.id = id
        self.name = name
        self.parentRunId = parentRunId
        self.policyRef = policyRef
        self.budget = budget
        self.usage = usage
        self.treeUsage = treeUsage
        self.status = status
        self.haltReason = haltReason
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.endedAt = endedAt
    }
}

/// What a new run starts with.
public struct NewRun: Sendable {
    public var id: String
    public var name: String?
    public var parentRunId: String?
    public var policyRef: String?
    public var budget: Budget
    public var metadata: [String: String]

    public init(
        id: String = Identifiers.make("run"), name: String? = nil, parentRunId: String? = nil, policyRef: String? = nil,
        budget: Budget = .unlimited, metadata: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.parentRunId = parentRunId
        self.policyRef = policyRef
        self.budget = budget
        self.metadata = metadata
    }
}

/// One agent step: opened by each recorded model call.
public struct StepRecord: Sendable, Hashable, Codable {
    public var runId: String
    /// 1-based.
    public var index: Int64
    public var ledgerEntryId: String?
    public var createdAt: Date

    public init(runId: String, index: Int64, ledgerEntryId: String?, createdAt: Date) {
        self.runId = runId
        self.index = index
        self.ledgerEntryId = ledgerEntryId
        self.createdAt = createdAt
    }
}

/// One priced thing in the ledger: a model call, or a priced tool call.
public struct LedgerEntry: Sendable, Hashable, Codable {
    public var id: String
    public var runId: String
    /// `model` or `tool`.
    public var kind: String
    public var provider: String?
    public var model: String?
    public var tool: String?
    public var promptTokens: Int64
    public var completionTokens: Int64
    public var cachedPromptTokens: Int64
    public var dollars: Money
    public var priced: Bool
    public var responseId: String?
    public var step: Int64?
    public var createdAt: Date

    public init(id: String, runId: String, kind: String, provider: String?, model: String?, tool: String?, promptTokens: Int64, completionTokens: Int64, cachedPromptTokens: Int64, dollars: Money, priced: Bool, responseId: String?, step: Int64?, createdAt: Date) {
        self.id = id
        self.runId = runId
        self.kind = kind
        self.provider = provider
        self.model = model
        self.tool = tool
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.dollars = dollars
        self.priced = priced
        self.responseId = responseId
        self.step = step
        self.createdAt = createdAt
    }
}

/// A model call to record against a run.
public struct NewModelCall: Sendable {
    public var provider: String
    public var model: String
    public var promptTokens: Int64
    public var completionTokens: Int64
    public var cachedPromptTokens: Int64
    public var dollars: Money
    public var priced: Bool
    public var responseId: String?

    public init(
        provider: String, model: String, promptTokens: Int64, completionTokens: Int64, cachedPromptTokens: Int64 = 0,
        dollars: Money, priced: Bool, responseId: String? = nil
    ) {
        self.provider = provider
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.dollars = dollars
        self.priced = priced
        self.responseId = responseId
    }
}

/// The outcome of recording spend: the run after it, and whether a budget was crossed.
public struct SpendResult: Sendable, Hashable {
    public var entry: LedgerEntry
    public var run: RunRecord
    /// Set when this spend (or an earlier one) has halted the run or an ancestor.
    public var haltReason: String?
    public var halted: Bool { haltReason != nil }
}

/// Where a tool call stands.
public enum ToolCallStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for a person.
    case awaitingApproval = "awaiting_approval"
    /// Sent upstream, no answer yet.
    case forwarded
    /// The upstream answered with a result.
    case succeeded
    /// The upstream answered with an error, or a tool result with `isError: true`, or never answered.
    case failed
    /// Refused by the gateway (policy, budget, denial, timeout).
    case refused
    /// Cancelled by the client before it was forwarded.
    case cancelled
    /// Forwarded, and its answer passed on, but the gateway ended before it recorded the outcome
    /// (the outcome is written after the response, in the next group commit): recovery records
    /// such calls `unknown`. Whether the upstream ran it is not known from the ledger.
    case unknown
}

/// One `tools/call` and what became of it.
public struct ToolCallRecord: Sendable, Hashable, Codable {
    public var id: String
    public var runId: String
    /// The JSON-RPC id as the client sent it (canonical JSON text).
    public var requestId: String
    public var tool: String
    public var sideEffect: String
    /// The arguments as the client sent them (with any detected secret redacted).
    public var arguments: JSONValue
    /// The arguments sent upstream when a policy rewrote them; `nil` when they went as sent.
    public var forwardedArguments: JSONValue? = nil
    /// `allow`, `deny` or `approval` (the pipeline's first decision).
    public var decision: String
    public var rule: String?
    public var reason: String?
    public var approvalId: String?
    public var status: ToolCallStatus
    /// The upstream's result (or error) object, when small enough to keep; see `resultDigest`.
    public var result: JSONValue?
    public var resultDigest: String?
    public var resultBytes: Int64?
    public var isError: Bool
    public var durationMs: Double?
    public var createdAt: Date
    public var completedAt: Date?

    public init(id: String, runId: String, requestId: String, tool: String, sideEffect: String, arguments: JSONValue, decision: String, rule: String?, reason: String?, approvalId: String?, status: ToolCallStatus, result: JSONValue?, resultDigest: String?, resultBytes: Int64?, isError: Bool, durationMs: Double?, createdAt: Date, completedAt: Date?) {
        self.id = id
        self.runId = runId
        self.requestId = requestId
        self.tool = tool
        self.sideEffect = sideEffect
        self.arguments = arguments
        self.decision = decision
        self.rule = rule
        self.reason = reason
        self.approvalId = approvalId
        self.status = status
        self.result = result
        self.resultDigest = resultDigest
        self.resultBytes = resultBytes
        self.isError = isError
        self.durationMs = durationMs
        self.createdAt = createdAt
        self.completedAt = completedAt
    }
}

/// A tool call as the gateway decided it, to be stored before anything is forwarded.
public struct NewToolCall: Sendable {
    public var id: String
    public var runId: String
    public var requestId: String
    public var tool: String
    public var sideEffect: String
    public var arguments: JSONValue
    /// The arguments to send upstream when a policy rewrote them.
    public var forwardedArguments: JSONValue?
    public var decision: Decision
    /// For `needsApproval`: the approval's match key (``ApprovalMatchKey``), stored with it.
    public var approvalMatchKey: String?
    /// The identity of the server that offers the tool, stored with an approval (grants use it).
    public var server: String?
    /// The grant that let a call through that an approval rule would have held.
    public var grantId: String?

    public init(id: String = Identifiers.makeOrdered("call"), runId: String, requestId: String, tool: String, sideEffect: String, arguments: JSONValue, forwardedArguments: JSONValue? = nil, decision: Decision) {
        self.forwardedArguments = forwardedArguments
        self.id = id
        self.runId = runId
        self.requestId = requestId
        self.tool = tool
        self.sideEffect = sideEffect
        self.arguments = arguments
        self.decision = decision
    }
}

/// How a tool call ended.
public struct ToolCallOutcome: Sendable {
    public var status: ToolCallStatus
    public var result: JSONValue?
    public var resultDigest: String?
    public var resultBytes: Int64?
    public var isError: Bool
    public var reason: String?
    public var durationMs: Double

    public init(status: ToolCallStatus, result: JSONValue? = nil, resultDigest: String? = nil, resultBytes: Int64? = nil, isError: Bool, reason: String? = nil, durationMs: Double) {
        self.status = status
        self.result = result
        self.resultDigest = resultDigest
        self.resultBytes = resultBytes
        self.isError = isError
        self.reason = reason
        self.durationMs = durationMs
    }
}

/// A person's decision on a held call.
public enum ApprovalStatus: String, Sendable, Codable, CaseIterable {
    case pending, approved, denied, expired
}

/// A held call waiting for, or decided by, a person.
public struct ApprovalRecord: Sendable, Hashable, Codable {
    public var id: String
    public var runId: String
    /// The call the approval was asked for (the one that runs when it is used).
    public var toolCallId: String
    public var tool: String
    public var sideEffect: String
    /// The model's arguments, with every detected secret redacted.
    public var arguments: JSONValue
    public var rule: String
    /// As stored; past ``expiresAt`` a pending approval reads as `expired` (see ``ApprovalRecord/asOf(_:)``).
    public var status: ApprovalStatus
    public var decidedBy: String?
    public var reason: String?
    public var createdAt: Date
    public var decidedAt: Date?
    public var expiresAt: Date?
    /// The arguments that run when the call is forwarded (rewritten by argument rules), redacted;
    /// `nil` when they are the model's own.
    public var forwardedArguments: JSONValue?
    /// The keyed digest of the server, the tool and the arguments that will run
    /// (``ApprovalMatchKey``): an identical retry finds the approval by it.
    public var matchKey: String?
    /// The request (id key) that ran the call on this approval; an approval is used once.
    public var consumedBy: String?
    public var consumedAt: Date?
    /// The identity of the server that offers the tool.
    public var server: String?

    public init(
        id: String, runId: String, toolCallId: String, tool: String, sideEffect: String, arguments: JSONValue, rule: String,
        status: ApprovalStatus, decidedBy: String?, reason: String?, createdAt: Date, decidedAt: Date?, expiresAt: Date?,
        forwardedArguments: JSONValue? = nil, matchKey: String? = nil, consumedBy: String? = nil, consumedAt: Date? = nil, server: String? = nil
    ) {
        self.server = server
        self.id = id
        self.runId = runId
        self.toolCallId = toolCallId
        self.tool = tool
        self.sideEffect = sideEffect
        self.arguments = arguments
        self.rule = rule
        self.status = status
        self.decidedBy = decidedBy
        self.reason = reason
        self.createdAt = createdAt
        self.decidedAt = decidedAt
        self.expiresAt = expiresAt
        self.forwardedArguments = forwardedArguments
        self.matchKey = matchKey
        self.consumedBy = consumedBy
        self.consumedAt = consumedAt
    }

    /// Whether the approval's life has ended at `now` (it can then be neither decided nor used).
    public func isPastExpiry(_ now: Date) -> Bool {
        expiresAt.map { $0 <= now } ?? false
    }

    /// The approval as it stands at `now`: a pending approval past its `expiresAt` is expired,
    /// whether or not anything has swept it yet.
    public func asOf(_ now: Date) -> ApprovalRecord {
        guard status == .pending, isPastExpiry(now) else { return self }
        var expired = self
        expired.status = .expired
        expired.reason = expired.reason ?? "no decision before it expired"
        return expired
    }
}

/// A namespaced value an agent keeps between steps (episodic memory).
public struct FactRecord: Sendable, Hashable, Codable {
    public var namespace: String
    public var key: String
    public var value: JSONValue
    public var runId: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(namespace: String, key: String, value: JSONValue, runId: String?, createdAt: Date, updatedAt: Date) {
        self.namespace = namespace
        self.key = key
        self.value = value
        self.runId = runId
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A stored policy bundle.
public struct PolicyRecord: Sendable, Hashable, Codable {
    public var name: String
    public var document: JSONValue
    public var createdAt: Date
    public var updatedAt: Date

    /// The parsed policy.
    public func policy() throws -> Policy {
        try PolicyParser.parse(document: document, file: "stored policy \"\(name)\"")
    }

    public init(name: String, document: JSONValue, createdAt: Date, updatedAt: Date) {
        self.name = name
        self.document = document
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A named point in a run's journal.
public struct CheckpointRecord: Sendable, Hashable, Codable {
    public var id: String
    public var runId: String
    public var name: String
    public var payload: JSONValue
    /// The journal (event chain) sequence number this checkpoint marks.
    public var sequence: Int64
    public var createdAt: Date

    public init(id: String, runId: String, name: String, payload: JSONValue, sequence: Int64, createdAt: Date) {
        self.id = id
        self.runId = runId
        self.name = name
        self.payload = payload
        self.sequence = sequence
        self.createdAt = createdAt
    }
}

/// One link of a run's hash chain: every tool call, model call, approval decision, checkpoint and
/// status change appends one.
public struct EventRecord: Sendable, Hashable, Codable {
    public var runId: String
    /// 1-based position in the run's chain.
    public var sequence: Int64
    /// e.g. `run.started`, `tool.decided`, `tool.completed`, `model.recorded`, `approval.decided`.
    public var kind: String
    public var body: JSONValue
    /// The hash of the event before, or 64 zeros for the first.
    public var previousHash: String
    /// SHA-256 over `previousHash`, a newline and the canonical JSON of `body`, in lower-case hex.
    public var hash: String
    public var createdAt: Date

    public init(runId: String, sequence: Int64, kind: String, body: JSONValue, previousHash: String, hash: String, createdAt: Date) {
        self.runId = runId
        self.sequence = sequence
        self.kind = kind
        self.body = body
        self.previousHash = previousHash
        self.hash = hash
        self.createdAt = createdAt
    }
}

/// How `usage` groups the ledger.
public enum SummaryGrouping: Sendable, Hashable, CustomStringConvertible {
    case provider, model, day, name
    /// Tool calls let through, by tool, with the tool spend (`toolPrices`).
    case tool
    /// A run metadata key; only letters, digits, `_`, `-` and `.` are accepted.
    case metadata(String)

    /// Parses `provider|model|day|name|metadata.KEY`.
    public init?(_ text: String) {
        switch text {
        case "provider": self = .provider
        case "model": self = .model
        case "day": self = .day
        case "name": self = .name
        case "tool": self = .tool
        default:
            guard text.hasPrefix("metadata."), let key = Optional(String(text.dropFirst("metadata.".count))),
                  Self.isValidMetadataKey(key) else { return nil }
            self = .metadata(key)
        }
    }

    public static func isValidMetadataKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 64 && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }

    public var description: String {
        switch self {
        case .provider: return "provider"
        case .model: return "model"
        case .day: return "day"
        case .name: return "name"
        case .tool: return "tool"
        case .metadata(let key): return "metadata.\(key)"
        }
    }
}

/// One group of a ledger summary.
public struct UsageGroup: Sendable, Hashable, Codable {
    public var key: String
    public var calls: Int64
    public var promptTokens: Int64
    public var completionTokens: Int64
    public var dollars: Money

    public init(key: String, calls: Int64, promptTokens: Int64, completionTokens: Int64, dollars: Money) {
        self.key = key
        self.calls = calls
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.dollars = dollars
    }
}

/// The ledger summarized by one grouping.
public struct UsageSummary: Sendable, Hashable, Codable {
    public var by: String
    public var groups: [UsageGroup]
    public var total: UsageGroup

    public init(by: String, groups: [UsageGroup], total: UsageGroup) {
        self.by = by
        self.groups = groups
        self.total = total
    }

    /// The groups with their sum as the total.
    init(by: String, groups: [UsageGroup]) {
        let total = groups.reduce(UsageGroup(key: "total", calls: 0, promptTokens: 0, completionTokens: 0, dollars: .zero)) { sum, group in
            UsageGroup(
                key: "total", calls: sum.calls + group.calls, promptTokens: sum.promptTokens + group.promptTokens,
                completionTokens: sum.completionTokens + group.completionTokens, dollars: sum.dollars + group.dollars)
        }
        self.init(by: by, groups: groups, total: total)
    }
}

/// Random identifiers with a readable prefix (`run_…`, `call_…`, `apr_…`), and time-ordered ones
/// for the rows written with every call (`led_…`, `call_…`).
public enum Identifiers {
    private static let alphabet = Array("0123456789abcdefghijkmnpqrstuvwxyz".utf8)

    /// `prefix_` and 12 characters drawn from one 64-bit system random number (34^12 < 2^64).
    public static func make(_ prefix: String) -> String {
        prefix + "_" + String(decoding: randomCharacters(), as: UTF8.self)
    }

    /// `prefix_`, 9 characters of `time` in whole milliseconds since 1970 (as
    /// ``Timestamps/milliseconds(_:)`` stores it; base 34, most significant first: ids made later
    /// sort after, to the millisecond, until the year 3894), and 12 random characters as
    /// ``make(_:)``'s. For the keys of rows written with every call: an index of random keys takes
    /// each new one on a random page, so each row of a group commit wrote a page of its own; keys
    /// in time order share the index's last pages.
    public static func makeOrdered(_ prefix: String, at time: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, Timestamps.milliseconds(time)))
        return prefix + "_" + String(decoding: digits(of: milliseconds, count: 9) + randomCharacters(), as: UTF8.self)
    }

    private static func randomCharacters() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return digits(of: generator.next(), count: 12)
    }

    /// The last `count` digits of `value` in base 34 (the alphabet's), most significant first.
    private static func digits(of value: UInt64, count: Int) -> [UInt8] {
        var value = value
        var characters = [UInt8](repeating: 0, count: count)
        for index in characters.indices.reversed() {
            characters[index] = alphabet[Int(value % UInt64(alphabet.count))]
            value /= UInt64(alphabet.count)
        }
        return characters
    }
}

import Foundation
import RiskKernelCore
import RiskKernelStore

/// The JSON shapes of records inside a bundle, both ways, exactly: times to the millisecond
/// (``BundleTime``), dollars as decimal strings (`"0.012500"`), absent values as `null`.
///
/// Fields that `content` redaction replaces may hold a `{"sha256": …}` digest instead of their value;
/// read back, a redacted JSON field keeps the digest object and a redacted text field becomes
/// `sha256:<hex>`, so a redacted bundle can still be stored.
public enum BundleRecords {
    // MARK: Encoding

    public static func encode(_ run: RunRecord) -> JSONValue {
        [
            "id": .string(run.id), "name": optional(run.name), "parentRunId": optional(run.parentRunId), "policy": optional(run.policyRef),
            "budget": encode(run.budget), "usage": encode(run.usage), "treeUsage": encode(run.treeUsage), "status": .string(run.status.rawValue),
            "haltReason": optional(run.haltReason), "metadata": .object(run.metadata.mapValues(JSONValue.string)),
            "createdAt": time(run.createdAt), "updatedAt": time(run.updatedAt), "endedAt": time(run.endedAt),
        ]
    }

    public static func encode(_ budget: Budget) -> JSONValue {
        [
            "tokens": budget.tokens.map(JSONValue.integer) ?? .null, "dollars": budget.dollars.map { .string($0.decimalString) } ?? .null,
            "loops": budget.loops.map(JSONValue.integer) ?? .null, "seconds": budget.seconds.map(JSONValue.integer) ?? .null,
        ]
    }

    public static func encode(_ usage: Usage) -> JSONValue {
        [
            "promptTokens": .integer(usage.promptTokens), "completionTokens": .integer(usage.completionTokens),
            "cachedPromptTokens": .integer(usage.cachedPromptTokens), "dollars": .string(usage.dollars.decimalString),
            "loops": .integer(usage.loops), "modelCalls": .integer(usage.modelCalls), "toolCalls": .integer(usage.toolCalls),
        ]
    }

    public static func encode(_ head: ChainHead) -> JSONValue { ["length": .integer(head.length), "hash": .string(head.hash)] }

    public static func encode(_ step: StepRecord) -> JSONValue {
        ["runId": .string(step.runId), "index": .integer(step.index), "ledgerEntryId": optional(step.ledgerEntryId), "createdAt": time(step.createdAt)]
    }

    public static func encode(_ event: EventRecord) -> JSONValue {
        [
            "runId": .string(event.runId), "sequence": .integer(event.sequence), "kind": .string(event.kind), "body": event.body,
            "previousHash": .string(event.previousHash), "hash": .string(event.hash), "createdAt": time(event.createdAt),
        ]
    }

    public static func encode(_ entry: LedgerEntry) -> JSONValue {
        [
            "id": .string(entry.id), "runId": .string(entry.runId), "kind": .string(entry.kind), "provider": optional(entry.provider),
            "model": optional(entry.model), "tool": optional(entry.tool), "promptTokens": .integer(entry.promptTokens),
            "completionTokens": .integer(entry.completionTokens), "cachedPromptTokens": .integer(entry.cachedPromptTokens),
            "dollars": .string(entry.dollars.decimalString), "priced": .bool(entry.priced), "responseId": optional(entry.responseId),
            "step": entry.step.map(JSONValue.integer) ?? .null, "createdAt": time(entry.createdAt),
        ]
    }

    public static func encode(_ call: ToolCallRecord) -> JSONValue {
        [
            "id": .string(call.id), "runId": .string(call.runId), "requestId": .string(call.requestId), "tool": .string(call.tool),
            "sideEffect": .string(call.sideEffect), "arguments": call.arguments, "decision": .string(call.decision), "rule": optional(call.rule),
            "reason": optional(call.reason), "approvalId": optional(call.approvalId), "status": .string(call.status.rawValue),
            "result": call.result ?? .null, "resultDigest": optional(call.resultDigest), "resultBytes": call.resultBytes.map(JSONValue.integer) ?? .null,
            "isError": .bool(call.isError), "durationMs": call.durationMs.map(JSONValue.double) ?? .null, "createdAt": time(call.createdAt),
            "completedAt": time(call.completedAt),
        ]
    }

    public static func encode(_ approval: ApprovalRecord) -> JSONValue {
        [
            "id": .string(approval.id), "runId": .string(approval.runId), "toolCallId": .string(approval.toolCallId), "tool": .string(approval.tool),
            "sideEffect": .string(approval.sideEffect), "arguments": approval.arguments, "rule": .string(approval.rule),
            "status": .string(approval.status.rawValue), "decidedBy": optional(approval.decidedBy), "reason": optional(approval.reason),
            "createdAt": time(approval.createdAt), "decidedAt": time(approval.decidedAt), "expiresAt": time(approval.expiresAt),
        ]
    }

    public static func encode(_ checkpoint: CheckpointRecord) -> JSONValue {
        [
            "id": .string(checkpoint.id), "runId": .string(checkpoint.runId), "name": .string(checkpoint.name), "payload": checkpoint.payload,
            "sequence": .integer(checkpoint.sequence), "createdAt": time(checkpoint.createdAt),
        ]
    }

    public static func encode(_ attribution: AttributionRecord) -> JSONValue {
        [
            "id": .string(attribution.id), "runId": .string(attribution.runId), "author": .string(attribution.author),
            "authorType": .string(attribution.authorType.rawValue), "file": .string(attribution.file), "linesAdded": .integer(attribution.linesAdded),
            "linesRemoved": .integer(attribution.linesRemoved), "tokens": .integer(attribution.tokens), "baseRef": .string(attribution.baseRef),
            "createdAt": time(attribution.createdAt),
        ]
    }

    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
    static func time(_ date: Date?) -> JSONValue { date.map { .string(BundleTime.string($0)) } ?? .null }

    // MARK: Decoding

    public static func run(_ value: JSONValue, at path: String) throws -> RunRecord {
        let fields = try Fields(value, path, keys: ["id", "name", "parentRunId", "policy", "budget", "usage", "treeUsage", "status", "haltReason", "metadata", "createdAt", "updatedAt", "endedAt"])
        let metadataFields = try fields.object("metadata")
        var metadata: [String: String] = [:]
        for key in metadataFields.members.keys { metadata[key] = try metadataFields.textOrDigest(key) }
        return RunRecord(
            id: try fields.string("id"), name: try fields.optionalString("name"), parentRunId: try fields.optionalString("parentRunId"),
            policyRef: try fields.optionalString("policy"), budget: try budget(fields.value("budget"), at: path + ".budget"),
            usage: try usage(fields.value("usage"), at: path + ".usage"), treeUsage: try usage(fields.value("treeUsage"), at: path + ".treeUsage"),
            status: try fields.enumeration("status", RunStatus.self), haltReason: try fields.optionalString("haltReason"), metadata: metadata,
            createdAt: try fields.time("createdAt"), updatedAt: try fields.time("updatedAt"), endedAt: try fields.optionalTime("endedAt"))
    }

    public static func budget(_ value: JSONValue, at path: String) throws -> Budget {
        let fields = try Fields(value, path, keys: ["tokens", "dollars", "loops", "seconds"])
        return Budget(
            tokens: try fields.optionalInteger("tokens"), dollars: try fields.optionalMoney("dollars"), loops: try fields.optionalInteger("loops"),
            seconds: try fields.optionalInteger("seconds"))
    }

    public static func usage(_ value: JSONValue, at path: String) throws -> Usage {
        let fields = try Fields(value, path, keys: ["promptTokens", "completionTokens", "cachedPromptTokens", "dollars", "loops", "modelCalls", "toolCalls"])
        return Usage(
            promptTokens: try fields.integer("promptTokens"), completionTokens: try fields.integer("completionTokens"),
            cachedPromptTokens: try fields.integer("cachedPromptTokens"), dollars: try fields.money("dollars"), loops: try fields.integer("loops"),
            modelCalls: try fields.integer("modelCalls"), toolCalls: try fields.integer("toolCalls"))
    }

    public static func head(_ value: JSONValue, at path: String) throws -> ChainHead {
        let fields = try Fields(value, path, keys: ["length", "hash"])
        let hash = try fields.string("hash")
        guard Digest.isHex64(hash) else { throw BundleFormatError("\(path).hash is not a SHA-256 in lower-case hex") }
        return ChainHead(length: try fields.integer("length"), hash: hash)
    }

    public static func step(_ value: JSONValue, at path: String) throws -> StepRecord {
        let fields = try Fields(value, path, keys: ["runId", "index", "ledgerEntryId", "createdAt"])
        return StepRecord(
            runId: try fields.string("runId"), index: try fields.integer("index"), ledgerEntryId: try fields.optionalString("ledgerEntryId"),
            createdAt: try fields.time("createdAt"))
    }

    /// An event; a sealed one (`"sealed": true`, body withheld) comes back with a `null` body.
    public static func event(_ value: JSONValue, at path: String) throws -> (event: EventRecord, sealed: Bool) {
        let fields = try Fields(value, path, keys: ["runId", "sequence", "kind", "body", "previousHash", "hash", "createdAt", "sealed"])
        let sealed = try fields.optionalBool("sealed") ?? false
        let body = try fields.value("body")
        if sealed, !body.isNull { throw BundleFormatError("\(path) is sealed but carries a body") }
        if !sealed, body.objectValue == nil { throw BundleFormatError("\(path).body is not an object") }
        let event = EventRecord(
            runId: try fields.string("runId"), sequence: try fields.integer("sequence"), kind: try fields.string("kind"), body: body,
            previousHash: try fields.string("previousHash"), hash: try fields.string("hash"), createdAt: try fields.time("createdAt"))
        return (event, sealed)
    }

    public static func ledgerEntry(_ value: JSONValue, at path: String) throws -> LedgerEntry {
        let fields = try Fields(value, path, keys: [
            "id", "runId", "kind", "provider", "model", "tool", "promptTokens", "completionTokens", "cachedPromptTokens", "dollars", "priced",
            "responseId", "step", "createdAt",
        ])
        return LedgerEntry(
            id: try fields.string("id"), runId: try fields.string("runId"), kind: try fields.string("kind"), provider: try fields.optionalString("provider"),
            model: try fields.optionalString("model"), tool: try fields.optionalString("tool"), promptTokens: try fields.integer("promptTokens"),
            completionTokens: try fields.integer("completionTokens"), cachedPromptTokens: try fields.integer("cachedPromptTokens"),
            dollars: try fields.money("dollars"), priced: try fields.bool("priced"), responseId: try fields.optionalString("responseId"),
            step: try fields.optionalInteger("step"), createdAt: try fields.time("createdAt"))
    }

    public static func toolCall(_ value: JSONValue, at path: String) throws -> ToolCallRecord {
        let fields = try Fields(value, path, keys: [
            "id", "runId", "requestId", "tool", "sideEffect", "arguments", "decision", "rule", "reason", "approvalId", "status", "result",
            "resultDigest", "resultBytes", "isError", "durationMs", "createdAt", "completedAt",
        ])
        let result = try fields.value("result")
        return ToolCallRecord(
            id: try fields.string("id"), runId: try fields.string("runId"), requestId: try fields.string("requestId"), tool: try fields.string("tool"),
            sideEffect: try fields.string("sideEffect"), arguments: try fields.value("arguments"), decision: try fields.string("decision"),
            rule: try fields.optionalString("rule"), reason: try fields.optionalTextOrDigest("reason"), approvalId: try fields.optionalString("approvalId"),
            status: try fields.enumeration("status", ToolCallStatus.self), result: result.isNull ? JSONValue?.none : result,
            resultDigest: try fields.optionalString("resultDigest"), resultBytes: try fields.optionalInteger("resultBytes"),
            isError: try fields.bool("isError"), durationMs: try fields.optionalDouble("durationMs"), createdAt: try fields.time("createdAt"),
            completedAt: try fields.optionalTime("completedAt"))
    }

    public static func approval(_ value: JSONValue, at path: String) throws -> ApprovalRecord {
        let fields = try Fields(value, path, keys: [
            "id", "runId", "toolCallId", "tool", "sideEffect", "arguments", "rule", "status", "decidedBy", "reason", "createdAt", "decidedAt", "expiresAt",
        ])
        return ApprovalRecord(
            id: try fields.string("id"), runId: try fields.string("runId"), toolCallId: try fields.string("toolCallId"), tool: try fields.string("tool"),
            sideEffect: try fields.string("sideEffect"), arguments: try fields.value("arguments"), rule: try fields.string("rule"),
            status: try fields.enumeration("status", ApprovalStatus.self), decidedBy: try fields.optionalString("decidedBy"),
            reason: try fields.optionalString("reason"), createdAt: try fields.time("createdAt"), decidedAt: try fields.optionalTime("decidedAt"),
            expiresAt: try fields.optionalTime("expiresAt"))
    }

    public static func checkpoint(_ value: JSONValue, at path: String) throws -> CheckpointRecord {
        let fields = try Fields(value, path, keys: ["id", "runId", "name", "payload", "sequence", "createdAt"])
        return CheckpointRecord(
            id: try fields.string("id"), runId: try fields.string("runId"), name: try fields.string("name"), payload: try fields.value("payload"),
            sequence: try fields.integer("sequence"), createdAt: try fields.time("createdAt"))
    }

    public static func attribution(_ value: JSONValue, at path: String) throws -> AttributionRecord {
        let fields = try Fields(value, path, keys: ["id", "runId", "author", "authorType", "file", "linesAdded", "linesRemoved", "tokens", "baseRef", "createdAt"])
        return AttributionRecord(
            id: try fields.string("id"), runId: try fields.string("runId"), author: try fields.string("author"),
            authorType: try fields.enumeration("authorType", AuthorType.self), file: try fields.textOrDigest("file"),
            linesAdded: try fields.integer("linesAdded"), linesRemoved: try fields.integer("linesRemoved"), tokens: try fields.integer("tokens"),
            baseRef: try fields.string("baseRef"), createdAt: try fields.time("createdAt"))
    }
}

/// Reading one JSON object's members, naming the path of whatever is wrong.
struct Fields {
    let members: [String: JSONValue]
    let path: String

    /// `keys`, when given, are the only members allowed.
    init(_ value: JSONValue, _ path: String, keys: Set<String>? = nil) throws {
        guard case .object(let members) = value else { throw BundleFormatError("\(path) is not an object") }
        if let keys, let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw BundleFormatError("\(path) has an unknown field \"\(unknown)\"")
        }
        self.members = members
        self.path = path
    }

    func fail(_ key: String, _ what: String) -> BundleFormatError { BundleFormatError("\(path).\(key) \(what)") }

    func value(_ key: String) throws -> JSONValue {
        guard let value = members[key] else { throw BundleFormatError("\(path) has no \"\(key)\"") }
        return value
    }

    func object(_ key: String) throws -> Fields { try Fields(value(key), "\(path).\(key)") }

    func array(_ key: String) throws -> [JSONValue] {
        guard let array = try value(key).arrayValue else { throw fail(key, "is not an array") }
        return array
    }

    func string(_ key: String) throws -> String {
        guard let text = try value(key).stringValue else { throw fail(key, "is not a string") }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        let value = members[key] ?? .null
        if value.isNull { return nil }
        guard let text = value.stringValue else { throw fail(key, "is not a string or null") }
        return text
    }

    /// A text field that `content` redaction may have replaced with a digest.
    func textOrDigest(_ key: String) throws -> String {
        let value = try value(key)
        if let text = value.stringValue { return text }
        if let hex = Digest.hex(in: value) { return Digest.textForm(hex) }
        throw fail(key, "is neither a string nor a {\"sha256\": …} digest")
    }

    func optionalTextOrDigest(_ key: String) throws -> String? {
        if (members[key] ?? .null).isNull { return nil }
        return try textOrDigest(key)
    }

    func integer(_ key: String) throws -> Int64 {
        guard case .integer(let number) = try value(key) else { throw fail(key, "is not an integer") }
        return number
    }

    func optionalInteger(_ key: String) throws -> Int64? {
        let value = members[key] ?? .null
        if value.isNull { return nil }
        guard case .integer(let number) = value else { throw fail(key, "is not an integer or null") }
        return number
    }

    func optionalDouble(_ key: String) throws -> Double? {
        let value = members[key] ?? .null
        if value.isNull { return nil }
        guard let number = value.doubleValue else { throw fail(key, "is not a number or null") }
        return number
    }

    func bool(_ key: String) throws -> Bool {
        guard let flag = try value(key).boolValue else { throw fail(key, "is not true or false") }
        return flag
    }

    func optionalBool(_ key: String) throws -> Bool? {
        let value = members[key] ?? .null
        if value.isNull { return nil }
        guard let flag = value.boolValue else { throw fail(key, "is not true or false") }
        return flag
    }

    func money(_ key: String) throws -> Money {
        guard let text = try value(key).stringValue, let money = Money(dollars: text) else { throw fail(key, "is not a decimal dollar string") }
        return money
    }

    func optionalMoney(_ key: String) throws -> Money? {
        if (members[key] ?? .null).isNull { return nil }
        return try money(key)
    }

    func time(_ key: String) throws -> Date {
        guard let text = try value(key).stringValue, let date = BundleTime.date(text) else {
            throw fail(key, "is not a time as YYYY-MM-DDTHH:MM:SS.mmmZ")
        }
        return date
    }

    func optionalTime(_ key: String) throws -> Date? {
        if (members[key] ?? .null).isNull { return nil }
        return try time(key)
    }

    func enumeration<T: RawRepresentable>(_ key: String, _ type: T.Type) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: try string(key)) else { throw fail(key, "has an unknown value") }
        return value
    }
}

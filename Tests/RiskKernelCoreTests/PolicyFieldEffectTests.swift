import Foundation
import JSONSchemaCheck
import RiskKernelCore
import SeededRandom
import Testing

/// Every field a policy accepts takes effect, and every field it does not know is refused with an
/// error naming it. The list of fields comes from Protocol/policy.schema.json, so a field added to
/// the schema without a probe here fails the test.
@Suite("every policy field takes effect or is refused")
struct PolicyFieldEffectTests {
    /// One field's proof of effect: the same policy with and without it looks different to the
    /// code that uses the policy (the decision pipeline, prices, approval settings, relay modes).
    struct Probe: Sendable {
        /// `spec` (or the whole document's `metadata`) with the field.
        var with: JSONValue
        /// The same without the field (or with its default).
        var without: JSONValue
        /// What the gateway sees of the policy, as text.
        var observe: @Sendable (Policy) -> String
        /// Whether `with`/`without` are whole documents rather than specs.
        var wholeDocument = false
    }

    static func document(spec: JSONValue) -> JSONValue {
        ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "probe"], "spec": spec]
    }

    /// The decision for one call, as `kind rule` text, under `policy` and the given conditions.
    static func decide(
        _ policy: Policy, tool: String = "t", arguments: JSONValue = [:], sideEffect: String = "write", usage: Usage = .zero,
        elapsed: Double = 0, pin: ToolPinStatus? = nil, recent: Int = 0
    ) -> String {
        let context = ToolCallContext(
            tool: tool, arguments: arguments, sideEffect: sideEffect, policy: policy,
            budgets: [BudgetScope(runId: "r", budget: policy.budget, usage: usage, elapsedSeconds: elapsed, isOwn: true)],
            secretScanner: try? SecretScanner(allow: policy.secrets.allow), pinStatus: pin,
            recentToolCalls: RecentToolCalls(now: Date(), calls: Array(repeating: RecentToolCall(tool: tool, at: Date() - 90), count: recent)))
        let result = DecisionPipeline.standard.decide(context)
        switch result.decision {
        case .allow: return "allow \(CanonicalJSON.string(result.arguments))"
        case .deny(let rule, let reason): return "deny \(rule) \(reason)"
        case .needsApproval(let rule): return "approval \(rule) \(CanonicalJSON.string(result.arguments))"
        }
    }

    static let secret: JSONValue = ["key": "AKIAIOSFODNN7EXAMPLE"]

    /// A probe per field of the schema (array items as `[]`).
    static let probes: [String: Probe] = {
        var probes: [String: Probe] = [:]
        func spec(_ path: String, _ with: JSONValue, _ without: JSONValue = [:], _ observe: @escaping @Sendable (Policy) -> String) {
            probes[path] = Probe(with: with, without: without, observe: observe)
        }
        // Identity and description: kept with the stored policy and shown by `policy show`.
        let named: @Sendable (Policy) -> String = { "\($0.name) \($0.description ?? "") \(CanonicalJSON.string($0.document["metadata"] ?? .null))" }
        probes["metadata.name"] = Probe(
            with: ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "other"]],
            without: ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "probe"]], observe: named, wholeDocument: true)
        probes["metadata.description"] = Probe(
            with: ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "p", "description": "why"]],
            without: ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "p"]], observe: named, wholeDocument: true)
        probes["metadata.labels"] = Probe(
            with: ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "p", "labels": ["team": "a"]]],
            without: ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "p"]], observe: named, wholeDocument: true)

        spec("spec.budget.tokens", ["budget": ["tokens": 10]]) { PolicyFieldEffectTests.decide($0, usage: Usage(promptTokens: 10)) }
        spec("spec.budget.dollars", ["budget": ["dollars": "1.00"]]) { PolicyFieldEffectTests.decide($0, usage: Usage(dollars: Money(micros: 1_000_000))) }
        spec("spec.budget.loops", ["budget": ["loops": 3]]) { PolicyFieldEffectTests.decide($0, usage: Usage(loops: 3)) }
        spec("spec.budget.seconds", ["budget": ["seconds": 60]]) { PolicyFieldEffectTests.decide($0, elapsed: 61) }
        spec("spec.toolAllowlist", ["toolAllowlist": ["git_*"]]) { PolicyFieldEffectTests.decide($0, tool: "rm") }
        spec("spec.approvalRules[].tool", ["approvalRules": [["tool": "git_*"]]]) { PolicyFieldEffectTests.decide($0, tool: "git_push") }
        spec("spec.approvalRules[].sideEffect", ["approvalRules": [["sideEffect": "vcs.*"]]]) { PolicyFieldEffectTests.decide($0, sideEffect: "vcs.write") }
        spec("spec.approvalRules[].description",
             ["approvalRules": [["tool": "git_*", "description": "pushes need a person"]]], ["approvalRules": [["tool": "git_*"]]]) {
            PolicyFieldEffectTests.decide($0, tool: "git_push")
        }
        spec("spec.sideEffects", ["sideEffects": ["git_*": "vcs.write"], "approvalRules": [["sideEffect": "vcs.*"]]],
             ["approvalRules": [["sideEffect": "vcs.*"]]]) {
            PolicyFieldEffectTests.decide($0, tool: "git_push", sideEffect: SideEffectClassifier.classify(tool: "git_push", annotations: nil, policy: $0))
        }
        spec("spec.secrets.arguments", ["secrets": ["arguments": "redact"]]) { PolicyFieldEffectTests.decide($0, arguments: PolicyFieldEffectTests.secret) }
        spec("spec.secrets.results", ["secrets": ["results": "block"]]) { "\($0.secrets.results)" }
        spec("spec.secrets.allow", ["secrets": ["allow": ["^AKIAIOSFODNN7EXAMPLE$"]]]) { PolicyFieldEffectTests.decide($0, arguments: PolicyFieldEffectTests.secret) }
        spec("spec.toolPinning", ["toolPinning": "warn"]) { PolicyFieldEffectTests.decide($0, pin: .changed) }
        // The recent calls were 90 seconds ago.
        spec("spec.rateLimits[].tool", ["rateLimits": [["tool": "t", "calls": 2, "per": "2m"]]],
             ["rateLimits": [["tool": "other", "calls": 2, "per": "2m"]]]) { PolicyFieldEffectTests.decide($0, recent: 2) }
        spec("spec.rateLimits[].calls", ["rateLimits": [["tool": "t", "calls": 2, "per": "2m"]]],
             ["rateLimits": [["tool": "t", "calls": 3, "per": "2m"]]]) { PolicyFieldEffectTests.decide($0, recent: 2) }
        spec("spec.rateLimits[].per", ["rateLimits": [["tool": "t", "calls": 2, "per": "1m"]]],
             ["rateLimits": [["tool": "t", "calls": 2, "per": "2m"]]]) { PolicyFieldEffectTests.decide($0, recent: 2) }
        spec("spec.toolPrices", ["toolPrices": ["t": "0.01"]]) { "\(String(describing: $0.price(of: "t")))" }
        spec("spec.approvals.hold", ["approvals": ["hold": "4s"]]) { "\(String(describing: $0.approvals.hold))" }
        spec("spec.approvals.timeout", ["approvals": ["timeout": "2h"]]) { "\(String(describing: $0.approvals.timeout))" }
        spec("spec.approvals.notify", ["approvals": ["notify": ["desktop"]]]) { "\($0.approvals.notify)" }
        spec("spec.approvals.askClient", ["approvals": ["askClient": true]]) { "\($0.approvals.askClient)" }
        spec("spec.approvals.notify[].webhook", ["approvals": ["notify": [["webhook": "https://example.com/h"]]]]) { "\($0.approvals.notify)" }
        spec("spec.approvals.notify[].command", ["approvals": ["notify": [["command": "page-oncall"]]]]) { "\($0.approvals.notify)" }
        spec("spec.tasks", ["tasks": "off"]) { "\($0.tasks)" }
        spec("spec.sampling", ["sampling": "deny"]) { "\($0.sampling)" }

        // Argument rules: each field, against a rule that differs only in it.
        func rule(_ fields: JSONValue) -> JSONValue {
            var base: [String: JSONValue] = ["tool": "pay_*", "argument": "/amount", "action": "deny"]
            if case .object(let extra) = fields { for (key, value) in extra { base[key] = value } }
            return ["argumentRules": [.object(base)]]
        }
        let pay: @Sendable (JSONValue) -> @Sendable (Policy) -> String = { arguments in { PolicyFieldEffectTests.decide($0, tool: "pay_now", arguments: arguments) } }
        spec("spec.argumentRules[].tool", rule(["greaterThan": 100]), rule(["tool": "other", "greaterThan": 100]), pay(["amount": 250]))
        spec("spec.argumentRules[].argument", rule(["greaterThan": 100]), rule(["argument": "/fee", "greaterThan": 100]), pay(["amount": 250]))
        spec("spec.argumentRules[].matches", rule(["matches": "2*"]), rule(["matches": "3*"]), pay(["amount": 250]))
        spec("spec.argumentRules[].notMatches", rule(["notMatches": "2*"]), rule(["notMatches": "3*"]), pay(["amount": 250]))
        spec("spec.argumentRules[].regex", rule(["regex": "^2"]), rule(["regex": "^3"]), pay(["amount": 250]))
        spec("spec.argumentRules[].in", rule(["in": [250]]), rule(["in": [251]]), pay(["amount": 250]))
        spec("spec.argumentRules[].notIn", rule(["notIn": [251]]), rule(["notIn": [250]]), pay(["amount": 250]))
        spec("spec.argumentRules[].greaterThan", rule(["greaterThan": 100]), rule(["greaterThan": 300]), pay(["amount": "250"]))
        spec("spec.argumentRules[].lessThan", rule(["lessThan": 300]), rule(["lessThan": 100]), pay(["amount": "250"]))
        spec("spec.argumentRules[].exists", rule(["exists": true]), rule(["exists": false]), pay(["amount": 250]))
        spec("spec.argumentRules[].action", rule(["action": "requireApproval", "exists": true]), rule(["exists": true]), pay(["amount": 250]))
        spec("spec.argumentRules[].value", rule(["action": "rewrite", "value": 1]), rule(["action": "rewrite", "value": 2]), pay(["amount": 250]))
        spec("spec.argumentRules[].reason", rule(["exists": true, "reason": "no payments"]), rule(["exists": true]), pay(["amount": 250]))
        return probes
    }()

    /// Every field path of the schema (`a.b`, `a[].b` for list items), with references followed.
    static func schemaFields() throws -> (leaves: [String], objects: [String]) {
        let schema = try JSONParser.parse(try Data(contentsOf: JSONSchemaPython.root.appendingPathComponent("Protocol/policy.schema.json")))
        var leaves: Set<String> = []
        var objects: Set<String> = []
        func resolve(_ node: JSONValue) -> JSONValue {
            guard let reference = node["$ref"]?.stringValue, reference.hasPrefix("#/$defs/") else { return node }
            return schema["$defs"]?[String(reference.dropFirst(8))] ?? node
        }
        func walk(_ raw: JSONValue, _ path: String) {
            let node = resolve(raw)
            var hasChildren = false
            if case .object(let properties)? = node["properties"] {
                objects.insert(path)
                for (key, child) in properties {
                    hasChildren = true
                    walk(child, path.isEmpty ? key : "\(path).\(key)")
                }
            }
            if let items = node["items"], case .object = items {
                let itemNode = resolve(items)
                if itemNode["properties"] != nil { hasChildren = true }
                walk(items, path + "[]")
            }
            for key in ["oneOf", "anyOf", "allOf"] {
                for branch in node[key]?.arrayValue ?? [] where branch["properties"] != nil || branch["$ref"] != nil {
                    let resolved = resolve(branch)
                    if resolved["properties"] != nil { hasChildren = true }
                    walk(branch, path)
                }
            }
            if !hasChildren, !path.isEmpty, !path.hasSuffix("[]") { leaves.insert(path) }
        }
        walk(schema, "")
        return (leaves.sorted(), objects.sorted())
    }

    @Test("each field of the schema changes what the gateway does with the policy")
    func everyFieldTakesEffect() throws {
        let fields = try Self.schemaFields().leaves.filter { !["apiVersion", "kind"].contains($0) }
        #expect(fields.count >= 40, "\(fields)")
        for field in fields {
            guard let probe = Self.probes[field] else {
                Issue.record("the schema's field \(field) has no probe: show what it changes, or refuse it")
                continue
            }
            let documents = probe.wholeDocument ? (probe.with, probe.without) : (Self.document(spec: probe.with), Self.document(spec: probe.without))
            let with = try PolicyParser.parse(document: documents.0)
            let without = try PolicyParser.parse(document: documents.1)
            #expect(probe.observe(with) != probe.observe(without), "\(field) made no difference: \(probe.observe(with))")
        }
    }

    @Test("apiVersion and kind other than the ones given are refused, naming the field")
    func identityFieldsAreChecked() {
        for (field, value) in [("apiVersion", "riskkernel/v2"), ("kind", "Bundle")] {
            var document = Self.document(spec: [:])
            if case .object(var members) = document {
                members[field] = .string(value)
                document = .object(members)
            }
            do {
                _ = try PolicyParser.parse(document: document)
                Issue.record("\(field): \(value) was accepted")
            } catch let error as PolicyError {
                #expect(error.field == field)
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test("an unknown field at any level is refused with an error naming it (seeded)")
    func unknownFieldsAreRefused() throws {
        // One valid document that has every object of the schema, so that an unknown key can be put in each.
        let full: JSONValue = [
            "apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "p", "labels": ["a": "b"]],
            "spec": [
                "budget": ["tokens": 1], "secrets": ["arguments": "block"],
                "approvalRules": [["tool": "a"]], "argumentRules": [["tool": "a", "argument": "/x", "action": "deny"]],
                "rateLimits": [["tool": "a", "calls": 1, "per": "1s"]],
                "approvals": ["hold": 5, "notify": [["webhook": "https://example.com/h"]]],
            ],
        ]
        #expect(throws: Never.self) { try PolicyParser.parse(document: full) }
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var random = SeededRandom(seed: seed)
        let objects = try Self.schemaFields().objects.filter { $0 != "metadata.labels" }
        #expect(objects.contains("spec.argumentRules[]") && objects.contains("spec.approvals.notify[]"), "\(objects)")
        for path in objects {
            for _ in 0..<5 {
                let name = "x" + String((0..<Int.random(in: 1...8, using: &random)).map { _ in Array("abcdefghijklmnopqrstuvwxyz_").randomElement(using: &random)! })
                let document = try Self.inserting(name, at: path, in: full)
                let shown = path.replacingOccurrences(of: "[]", with: "[1]")
                let expected = (shown.isEmpty ? "" : shown + ".") + name
                do {
                    _ = try PolicyParser.parse(document: document)
                    Issue.record("seed \(seed): \(expected) was accepted")
                } catch let error as PolicyError {
                    #expect(error.field == expected, "seed \(seed): \(error)")
                    #expect(error.message.contains("unknown field"), "seed \(seed): \(error)")
                }
            }
        }
    }

    /// `document` with `key: true` added to the object at `path` (`a.b`, `a[]` meaning the first item).
    static func inserting(_ key: String, at path: String, in document: JSONValue) throws -> JSONValue {
        guard !path.isEmpty else {
            guard case .object(var members) = document else { throw ProbeError.notAnObject(path) }
            members[key] = true
            return .object(members)
        }
        var parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        let head = parts.removeFirst()
        let rest = parts.first ?? ""
        let isItem = head.hasSuffix("[]")
        let name = isItem ? String(head.dropLast(2)) : head
        guard case .object(var members) = document, let child = members[name] else { throw ProbeError.notAnObject(path) }
        if isItem {
            guard case .array(var items) = child, !items.isEmpty else { throw ProbeError.notAnObject(path) }
            items[0] = try inserting(key, at: rest, in: items[0])
            members[name] = .array(items)
        } else {
            members[name] = try inserting(key, at: rest, in: child)
        }
        return .object(members)
    }

    enum ProbeError: Error { case notAnObject(String) }
}

import Foundation
import Yams

/// A problem with a policy file, naming where it is.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, or `nil` for text that did not come from a file.
    public var file: String?
    /// 1-based document number within the file.
    public var document: Int
    /// Dotted path of the field, e.g. `spec.budget.dollars` or `spec.approvalRules[2].tool`.
    public var field: String
    public var message: String

    public init(file: String?, document: Int, field: String, message: String) {
        self.file = file
        self.document = document
        self.field = field
        self.message = message
    }

    public var description: String {
        let location = [file, "document \(document)", field.isEmpty ? nil : field].compactMap { $0 }.joined(separator: ": ")
        return "\(location): \(message)"
    }
}

/// Reads policy bundles from YAML or JSON text (JSON is read as YAML).
public enum PolicyParser {
    /// Every policy in `text`, one per document. `file` is used only in error messages.
    public static func parse(_ text: String, file: String? = nil) throws -> [Policy] {
        // `YamlSequence` ends quietly on an error and keeps it in `error`; read it, or a syntax error
        // (or a duplicate key, which Yams refuses while composing) would drop the document silently.
        var nodes: [Node] = []
        do {
            var sequence = try Yams.compose_all(yaml: text)
            while let node = sequence.next() { nodes.append(node) }
            if let error = sequence.error { throw error }
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            throw PolicyError(
                file: file, document: nodes.count + 1, field: duplicates.sorted().first ?? "",
                message: "duplicate key in line \(context.mark.line), column \(context.mark.column)")
        } catch {
            throw PolicyError(file: file, document: nodes.count + 1, field: "", message: "not valid YAML or JSON: \(error)")
        }
        guard !nodes.isEmpty else {
            throw PolicyError(file: file, document: 1, field: "", message: "the file holds no policy document")
        }
        var policies: [Policy] = []
        var seen: Set<String> = []
        for (index, node) in nodes.enumerated() {
            let context = Context(file: file, document: index + 1)
            let value = try context.json(from: node, path: "")
            let policy = try parse(document: value, context: context)
            guard seen.insert(policy.name).inserted else {
                throw context.error("metadata.name", "policy \"\(policy.name)\" is defined twice in this file")
            }
            policies.append(policy)
        }
        return policies
    }

    /// Reads one policy from its JSON document (as stored).
    public static func parse(document: JSONValue, file: String? = nil, documentNumber: Int = 1) throws -> Policy {
        try parse(document: document, context: Context(file: file, document: documentNumber))
    }

    struct Context {
        let file: String?
        let document: Int

        func error(_ field: String, _ message: String) -> PolicyError {
            PolicyError(file: file, document: document, field: field, message: message)
        }

        /// Converts a YAML node into JSON, refusing duplicate keys and non-string keys.
        func json(from node: Node, path: String) throws -> JSONValue {
            switch node {
            case .scalar(let scalar):
                if scalar.style == .plain {
                    if node.null != nil, scalar.string.isEmpty || ["null", "~", "Null", "NULL"].contains(scalar.string) { return .null }
                    if let flag = node.bool { return .bool(flag) }
                    if let number = Int64(scalar.string) { return .integer(number) }
                    if let number = node.float, number.isFinite { return .double(number) }
                }
                return .string(scalar.string)
            case .sequence(let sequence):
                return .array(try sequence.enumerated().map { try json(from: $1, path: "\(path)[\($0 + 1)]") })
            case .mapping(let mapping):
                var members: [String: JSONValue] = [:]
                for (key, value) in mapping {
                    guard let name = key.scalar?.string else { throw error(path, "keys must be strings") }
                    let childPath = path.isEmpty ? name : "\(path).\(name)"
                    guard members.updateValue(try json(from: value, path: childPath), forKey: name) == nil else {
                        throw error(childPath, "duplicate key")
                    }
                }
                return .object(members)
            case .alias:
                throw error(path, "YAML aliases are not supported in policies")
            }
        }
    }

    static func parse(document: JSONValue, context: Context) throws -> Policy {
        let reader = FieldReader(context: context)
        let root = try reader.object(document, at: "", allowed: ["apiVersion", "kind", "metadata", "spec"])
        guard let apiVersion = try reader.string(root["apiVersion"], at: "apiVersion", required: true), apiVersion == Policy.apiVersion else {
            throw context.error("apiVersion", "must be \"\(Policy.apiVersion)\"")
        }
        guard let kind = try reader.string(root["kind"], at: "kind", required: true), kind == Policy.kind else {
            throw context.error("kind", "must be \"\(Policy.kind)\"")
        }
        guard let metadataValue = root["metadata"] else { throw context.error("metadata", "is required") }
        let metadata = try reader.object(metadataValue, at: "metadata", allowed: ["name", "description", "labels"])
        guard let name = try reader.string(metadata["name"], at: "metadata.name", required: true) else {
            throw context.error("metadata.name", "is required")
        }
        try validateName(name, context: context)
        let description = try reader.string(metadata["description"], at: "metadata.description")
        if let labels = metadata["labels"] {
            let map = try reader.object(labels, at: "metadata.labels", allowed: nil)
            for (key, value) in map { _ = try reader.string(value, at: "metadata.labels.\(key)", required: true) }
        }

        var policy = Policy(name: name, description: description, document: document)
        guard let specValue = root["spec"] else { return policy }
        let spec = try reader.object(specValue, at: "spec", allowed: [
            "budget", "toolAllowlist", "approvalRules", "sideEffects", "secrets", "argumentRules", "toolPinning", "rateLimits", "toolPrices",
            "approvals", "tasks", "sampling",
        ])
        if let budget = spec["budget"] {
            policy.budget = try reader.budget(budget, at: "spec.budget")
        }
        if let allowlist = spec["toolAllowlist"] {
            policy.toolAllowlist = try reader.entries(allowlist, at: "spec.toolAllowlist", reader.glob)
        }
        if let rules = spec["approvalRules"] {
            policy.approvalRules = try reader.entries(rules, at: "spec.approvalRules", reader.approvalRule)
        }
        if let sideEffects = spec["sideEffects"] {
            policy.sideEffects = try reader.globKeyed(sideEffects, at: "spec.sideEffects") { tool, value, path in
                guard let label = try reader.string(value, at: path, required: true), !label.isEmpty else {
                    throw context.error(path, "must be a non-empty side-effect label")
                }
                return SideEffectMapping(tool: tool, label: label)
            }
        }
        if let secrets = spec["secrets"] {
            policy.secrets = try reader.secrets(secrets, at: "spec.secrets")
        }
        if let rules = spec["argumentRules"] {
            policy.argumentRules = try reader.entries(rules, at: "spec.argumentRules", reader.argumentRule)
        }
        if let limits = spec["rateLimits"] {
            policy.rateLimits = try reader.entries(limits, at: "spec.rateLimits", reader.rateLimit)
        }
        if let prices = spec["toolPrices"] {
            policy.toolPrices = try reader.globKeyed(prices, at: "spec.toolPrices") { tool, value, path in
                ToolPrice(tool: tool, dollars: try reader.dollars(value, at: path))
            }
        }
        if let pinning = spec["toolPinning"], pinning != .null {
            policy.toolPinning = try reader.toolPinning(pinning, at: "spec.toolPinning")
        }
        if let approvals = spec["approvals"] {
            policy.approvals = try reader.approvalSettings(approvals, at: "spec.approvals")
        }
        if let tasks = spec["tasks"], tasks != .null {
            // YAML reads an unquoted `off` as false.
            if tasks == .bool(false) {
                policy.tasks = .off
            } else {
                guard let text = try reader.string(tasks, at: "spec.tasks", required: true), let mode = TaskMode(rawValue: text) else {
                    throw context.error("spec.tasks", "must be govern or off (got \(CanonicalJSON.string(tasks)))")
                }
                policy.tasks = mode
            }
        }
        if let sampling = spec["sampling"], sampling != .null {
            guard let text = try reader.string(sampling, at: "spec.sampling", required: true), let mode = SamplingMode(rawValue: text) else {
                throw context.error("spec.sampling", "must be allow or deny (got \(CanonicalJSON.string(sampling)))")
            }
            policy.sampling = mode
        }
        return policy
    }

    /// Policy names are used on command lines and in file names: letters, digits, `.`, `_`, `-`.
    static func validateName(_ name: String, context: Context) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, name.count <= 128, name.allSatisfy({ allowed.contains($0) }) else {
            throw context.error("metadata.name", "must be 1 to 128 letters, digits, '.', '_' or '-' (got \"\(name)\")")
        }
    }
}

/// Typed access to a policy document's fields with errors that name the field.
struct FieldReader {
    let context: PolicyParser.Context

    func object(_ value: JSONValue, at path: String, allowed: Set<String>?) throws -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw context.error(path, "must be a mapping (object), got \(Self.typeName(value))")
        }
        if let allowed {
            for key in members.keys.sorted() where !allowed.contains(key) {
                let field = path.isEmpty ? key : "\(path).\(key)"
                throw context.error(field, "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        return members
    }

    func array(_ value: JSONValue, at path: String) throws -> [JSONValue] {
        guard case .array(let elements) = value else {
            throw context.error(path, "must be a list, got \(Self.typeName(value))")
        }
        return elements
    }

    func string(_ value: JSONValue?, at path: String, required: Bool = false) throws -> String? {
        guard let value, value != .null else {
            if required { throw context.error(path, "is required") }
            return nil
        }
        guard case .string(let text) = value else {
            throw context.error(path, "must be a string, got \(Self.typeName(value))")
        }
        return text
    }

    func glob(_ value: JSONValue, at path: String) throws -> Glob {
        guard let pattern = try string(value, at: path, required: true) else { throw context.error(path, "is required") }
        do {
            return try Glob(pattern)
        } catch let error as Glob.SyntaxError {
            throw context.error(path, error.description)
        }
    }

    func nonNegativeInteger(_ value: JSONValue, at path: String) throws -> Int64 {
        guard let number = value.int64Value, value.doubleValue.map({ $0.rounded() == $0 }) ?? false else {
            throw context.error(path, "must be a whole number, got \(Self.typeName(value))")
        }
        guard number >= 0 else { throw context.error(path, "must not be negative (got \(number))") }
        return number
    }

    func budget(_ value: JSONValue, at path: String) throws -> Budget {
        let members = try object(value, at: path, allowed: ["tokens", "dollars", "loops", "seconds"])
        var budget = Budget()
        if let tokens = members["tokens"] { budget.tokens = try nonNegativeInteger(tokens, at: "\(path).tokens") }
        if let loops = members["loops"] { budget.loops = try nonNegativeInteger(loops, at: "\(path).loops") }
        if let seconds = members["seconds"] { budget.seconds = try nonNegativeInteger(seconds, at: "\(path).seconds") }
        if let dollars = members["dollars"] { budget.dollars = try self.dollars(dollars, at: "\(path).dollars") }
        return budget
    }

    /// A non-negative dollar amount with at most six decimals, as a number or a string.
    func dollars(_ value: JSONValue, at field: String) throws -> Money {
        let money: Money?
        switch value {
        case .integer(let whole): money = Money(dollars: String(whole))
        case .double(let amount): money = Money(dollars: amount)
        case .number(let text): money = Money(jsonNumber: text)
        case .string(let text): money = Money(dollars: text)
        default: throw context.error(field, "must be a number of dollars, got \(Self.typeName(value))")
        }
        guard let money else { throw context.error(field, "must be a dollar amount with at most six decimals") }
        guard money >= .zero else { throw context.error(field, "must not be negative (got \(money))") }
        return money
    }

    func secrets(_ value: JSONValue, at path: String) throws -> SecretsPolicy {
        let members = try object(value, at: path, allowed: ["arguments", "results", "allow"])
        var policy = SecretsPolicy()
        func action(_ key: String) throws -> SecretAction? {
            // YAML reads an unquoted `off` as false.
            if case .bool(false)? = members[key] { return .off }
            guard let text = try string(members[key], at: "\(path).\(key)") else { return nil }
            guard let action = SecretAction(rawValue: text) else {
                throw context.error("\(path).\(key)", "must be block, redact or off (got \"\(text)\")")
            }
            return action
        }
        policy.arguments = try action("arguments") ?? policy.arguments
        policy.results = try action("results") ?? policy.results
        if let allow = members["allow"] {
            policy.allow = try array(allow, at: "\(path).allow").enumerated().map { index, item in
                let field = "\(path).allow[\(index + 1)]"
                guard let pattern = try string(item, at: field, required: true) else { throw context.error(field, "is required") }
                do {
                    _ = try NSRegularExpression(pattern: pattern)
                } catch {
                    throw context.error(field, "not a valid regular expression: \(pattern)")
                }
                return pattern
            }
        }
        return policy
    }

    /// Each member of an object of `GLOB: value`, in key order, read by `read` at `PATH.KEY`.
    func globKeyed<Entry>(_ value: JSONValue, at path: String, _ read: (Glob, JSONValue, String) throws -> Entry) throws -> [Entry] {
        let members = try object(value, at: path, allowed: nil)
        return try members.keys.sorted().map { key in
            let memberPath = "\(path).\(key)"
            return try read(try glob(.string(key), at: memberPath), members[key]!, memberPath)
        }
    }

    /// Each element of a list, read by `read` at `PATH[N]` (counting from 1).
    func entries<Entry>(_ value: JSONValue, at path: String, _ read: (JSONValue, String) throws -> Entry) throws -> [Entry] {
        try array(value, at: path).enumerated().map { index, item in try read(item, "\(path)[\(index + 1)]") }
    }

    /// `{tool: GLOB, calls: N, per: DURATION}`.
    func rateLimit(_ value: JSONValue, at path: String) throws -> RateLimit {
        let members = try object(value, at: path, allowed: ["tool", "calls", "per"])
        guard let tool = members["tool"] else { throw context.error("\(path).tool", "is required") }
        guard let callsValue = members["calls"] else { throw context.error("\(path).calls", "is required") }
        let calls = try nonNegativeInteger(callsValue, at: "\(path).calls")
        guard calls >= 1, calls <= Int64(Int32.max) else { throw context.error("\(path).calls", "must be at least 1 (got \(calls))") }
        guard let perText = try string(members["per"], at: "\(path).per", required: true) else {
            throw context.error("\(path).per", "is required")
        }
        guard let per = RateLimit.parseDuration(perText) else {
            throw context.error("\(path).per", "must be a duration such as 500ms, 30s, 1m, 1h or 1d (got \"\(perText)\")")
        }
        return RateLimit(tool: try glob(tool, at: "\(path).tool"), calls: Int(calls), per: per, perText: perText)
    }

    /// `{hold: DURATION, timeout: DURATION}`, each a positive number of seconds or a duration text
    /// such as `25s`, `30m` or `1h`.
    func approvalSettings(_ value: JSONValue, at path: String) throws -> ApprovalSettings {
        let members = try object(value, at: path, allowed: ["hold", "timeout", "notify", "askClient"])
        func duration(_ key: String) throws -> Duration? {
            guard let field = members[key], field != .null else { return nil }
            let duration: Duration?
            switch field {
            case .integer(let seconds): duration = .seconds(seconds)
            case .double(let seconds) where seconds.isFinite: duration = .milliseconds(Int64((seconds * 1000).rounded()))
            case .string(let text): duration = RateLimit.parseDuration(text)
            default: duration = nil
            }
            guard let duration, duration > .zero else {
                throw context.error("\(path).\(key)", "must be a positive duration such as 25s, 30m or 1h, or a number of seconds (got \(CanonicalJSON.string(field)))")
            }
            return duration
        }
        var notify: [ApprovalNotifyTarget] = []
        if let targets = members["notify"] {
            notify = try entries(targets, at: "\(path).notify") { entry, at in try notifyTarget(entry, at: at) }
        }
        var askClient = false
        switch members["askClient"] {
        case nil, .null?: break
        case .bool(let flag)?: askClient = flag
        case let other?: throw context.error("\(path).askClient", "must be true or false (got \(CanonicalJSON.string(other)))")
        }
        return ApprovalSettings(hold: try duration("hold"), timeout: try duration("timeout"), notify: notify, askClient: askClient)
    }

    /// `desktop`, `{webhook: URL}` (http or https) or `{command: CMD}`.
    func notifyTarget(_ value: JSONValue, at path: String) throws -> ApprovalNotifyTarget {
        if value == .string("desktop") { return .desktop }
        let members = try object(value, at: path, allowed: ["webhook", "command"])
        switch (members["webhook"], members["command"]) {
        case (let url?, nil):
            guard let text = try string(url, at: "\(path).webhook", required: true),
                  text.hasPrefix("http://") || text.hasPrefix("https://"), URL(string: text)?.host != nil
            else { throw context.error("\(path).webhook", "must be an http or https URL") }
            return .webhook(text)
        case (nil, let command?):
            guard let text = try string(command, at: "\(path).command", required: true), !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw context.error("\(path).command", "must be a command line")
            }
            return .command(text)
        default:
            throw context.error(path, "must be desktop, {webhook: URL} or {command: CMD}")
        }
    }

    /// `enforce`, `warn` or `off`; `false` is `off` too, since YAML reads an unquoted `off` as false.
    func toolPinning(_ value: JSONValue, at path: String) throws -> ToolPinningMode {
        switch value {
        case .bool(false): return .off
        case .string(let text): if let mode = ToolPinningMode(rawValue: text) { return mode }
        case .bool: break
        default: _ = try string(value, at: path, required: true)
        }
        throw context.error(path, "must be enforce, warn or off (got \(CanonicalJSON.string(value)))")
    }

    func approvalRule(_ value: JSONValue, at path: String) throws -> ApprovalRule {
        let members = try object(value, at: path, allowed: ["tool", "sideEffect", "description"])
        let reason = try string(members["description"], at: "\(path).description")
        switch (members["tool"], members["sideEffect"]) {
        case (let tool?, nil):
            if case .string("") = tool { throw context.error("\(path).tool", "must be a tool name or a glob over tool names") }
            return .tool(try glob(tool, at: "\(path).tool"), reason: reason)
        case (nil, let sideEffect?):
            return .sideEffect(try glob(sideEffect, at: "\(path).sideEffect"), reason: reason)
        case (.some, .some):
            throw context.error(path, "set either tool or sideEffect, not both")
        case (nil, nil):
            throw context.error(path, "needs tool (a glob over tool names) or sideEffect (a glob over side-effect labels)")
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .double, .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "a mapping"
        }
    }
}

/// Reading `spec.argumentRules` entries.
extension FieldReader {
    /// The matcher keys of an argument rule; a rule sets at most one.
    static let argumentMatcherKeys = ["matches", "notMatches", "regex", "in", "notIn", "greaterThan", "lessThan", "exists"]

    /// One argument rule: `tool`, `argument` and `action` are required, `value` is required for
    /// (and only allowed with) `rewrite`, `reason` is optional, and at most one matcher.
    func argumentRule(_ value: JSONValue, at path: String) throws -> ArgumentRule {
        let allowed = Set(["tool", "argument", "action", "value", "reason"] + Self.argumentMatcherKeys)
        let members = try object(value, at: path, allowed: allowed)
        guard let toolValue = members["tool"], toolValue != .null else { throw context.error("\(path).tool", "is required") }
        let tool = try glob(toolValue, at: "\(path).tool")
        guard let pointerText = try string(members["argument"], at: "\(path).argument", required: true) else {
            throw context.error("\(path).argument", "is required")
        }
        let argument: JSONPointer
        do {
            argument = try JSONPointer(pointerText)
        } catch let error as JSONPointer.SyntaxError {
            throw context.error("\(path).argument", error.description)
        }
        let action = try argumentAction(members, argument: argument, at: path)
        let reason = try string(members["reason"], at: "\(path).reason")
        let present = Self.argumentMatcherKeys.filter { members[$0] != nil }
        guard present.count <= 1 else {
            throw context.error(path, "has \(present.count) matchers (\(present.joined(separator: ", "))); set at most one")
        }
        let matcher = try present.first.map { try argumentMatcher($0, members[$0]!, at: "\(path).\($0)") }
        return ArgumentRule(tool: tool, argument: argument, matcher: matcher, action: action, reason: reason)
    }

    private func argumentAction(_ members: [String: JSONValue], argument: JSONPointer, at path: String) throws -> ArgumentAction {
        guard let name = try string(members["action"], at: "\(path).action", required: true) else {
            throw context.error("\(path).action", "is required")
        }
        switch name {
        case "deny", "requireApproval":
            guard members["value"] == nil else {
                throw context.error("\(path).value", "is only allowed when action is rewrite")
            }
            return name == "deny" ? .deny : .requireApproval
        case "rewrite":
            guard let value = members["value"] else {
                throw context.error("\(path).value", "is required when action is rewrite")
            }
            if argument.tokens.isEmpty, value.objectValue == nil {
                throw context.error("\(path).value", "must be a mapping to rewrite the whole arguments (argument \"\"), got \(Self.typeName(value))")
            }
            return .rewrite(value)
        default:
            throw context.error("\(path).action", "must be deny, requireApproval or rewrite (got \"\(name)\")")
        }
    }

    private func argumentMatcher(_ key: String, _ value: JSONValue, at path: String) throws -> ArgumentMatcher {
        switch key {
        case "matches": return .matches(try glob(value, at: path))
        case "notMatches": return .notMatches(try glob(value, at: path))
        case "regex":
            guard let pattern = try string(value, at: path, required: true) else { throw context.error(path, "is required") }
            do {
                return .regex(try ArgumentRegex(pattern))
            } catch let error as ArgumentRegex.EmptyPatternError {
                throw context.error(path, error.description)
            } catch {
                throw context.error(path, "not a valid regular expression: \(pattern)")
            }
        case "in": return .in(try array(value, at: path))
        case "notIn": return .notIn(try array(value, at: path))
        case "greaterThan", "lessThan":
            guard value.doubleValue.map({ $0.isFinite }) ?? false else {
                throw context.error(path, "must be a number, got \(Self.typeName(value))")
            }
            return key == "greaterThan" ? .greaterThan(value) : .lessThan(value)
        default:
            guard case .bool(let flag) = value else {
                throw context.error(path, "must be true or false, got \(Self.typeName(value))")
            }
            return .exists(flag)
        }
    }
}

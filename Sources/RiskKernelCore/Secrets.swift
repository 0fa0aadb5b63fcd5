import Foundation

/// Finds credentials in text: the common token formats of code hosts, chat, payment and cloud
/// providers, model APIs, JWTs, PEM private keys and URLs that carry a password.
public struct SecretScanner: Sendable {
    /// One kind of credential and how to recognise it.
    public struct Detector: Sendable {
        public let kind: String
        let pattern: String
        /// Literal text of which every match contains at least one: a text that contains none of
        /// them is not searched with `pattern` (a byte search is far cheaper than the expression).
        let literals: [String]
    }

    /// A credential found in a text.
    public struct Finding: Sendable, Hashable {
        public var kind: String
        /// Where in the text (UTF-16 offsets, as NSString counts).
        public var range: NSRange
    }

    /// The built-in detectors, most specific first (so `sk-ant-…` is Anthropic, not OpenAI).
    public static let detectors: [Detector] = [
        Detector(kind: "pem-private-key", pattern: #"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----)?"#, literals: ["-----BEGIN "]),
        Detector(kind: "github-token", pattern: #"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"#, literals: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]),
        Detector(kind: "gitlab-token", pattern: #"\bglpat-[A-Za-z0-9_\-]{20,}"#, literals: ["glpat-"]),
        Detector(kind: "slack-token", pattern: #"\bxox[abposr]-[A-Za-z0-9\-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]{20,}"#, literals: ["xox", "https://hooks.slack.com/services/"]),
        Detector(kind: "stripe-key", pattern: #"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"#, literals: ["_live_", "_test_"]),
        Detector(kind: "aws-access-key", pattern: #"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"#, literals: ["AKIA", "ASIA", "ABIA", "ACCA"]),
        Detector(kind: "google-api-key", pattern: #"\bAIza[0-9A-Za-z_\-]{35}"#, literals: ["AIza"]),
        Detector(kind: "anthropic-key", pattern: #"\bsk-ant-[a-z]+[0-9]*-[A-Za-z0-9_\-]{20,}"#, literals: ["sk-ant-"]),
        Detector(kind: "openai-key", pattern: #"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"#, literals: ["sk-"]),
        Detector(kind: "jwt", pattern: #"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{10,}"#, literals: ["eyJ"]),
        Detector(kind: "url-password", pattern: #"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]+:[^\s/@]+@[^\s/]+"#, literals: ["://"]),
    ]

    private let compiled: [(kind: String, expression: NSRegularExpression)]
    private let allowed: [NSRegularExpression]
    /// Every detector's literals, tagged with the detector's index.
    private let literals: LiteralSet
    /// The same, and the two JSON escapes through which a literal can be spelled in JSON text
    /// without its bytes: `\u` (any character) and `\/` (a slash), tagged `escapeTag`.
    private let literalsInJSON: LiteralSet
    private static let escapeTag = 63

    /// A scanner with the built-in detectors; a finding whose text matches any of `allow` is ignored.
    public init(allow: [String] = []) throws {
        compiled = try Self.detectors.map { ($0.kind, try NSRegularExpression(pattern: $0.pattern)) }
        allowed = try allow.map { try NSRegularExpression(pattern: $0) }
        let tagged = Self.detectors.enumerated().flatMap { index, detector in detector.literals.map { (bytes: Array($0.utf8), tag: index) } }
        literals = LiteralSet(tagged)
        literalsInJSON = LiteralSet(tagged + [(Array(#"\u"#.utf8), Self.escapeTag), (Array(#"\/"#.utf8), Self.escapeTag)])
    }

    /// Whether the strings of the JSON text `bytes` (keys included) may hold a credential: `false`
    /// only when none can, because no detector's literal occurs in the bytes, nor an escape
    /// (`\u`, `\/`) that could spell one. One pass over the bytes, without parsing them: a large
    /// result with no such bytes is cleared without building its tree. Text that is not JSON
    /// gets the same answer as if it were.
    public func mayFind(inJSON bytes: some Collection<UInt8>) -> Bool {
        literalsInJSON.tags(in: bytes, stoppingAtFirst: true) != 0
    }

    /// The credentials in `text`, in order, without overlaps.
    public func findings(in text: String) -> [Finding] {
        let tags = literals.tags(in: text.utf8)
        guard tags != 0 else { return [] }
        let candidates = compiled.enumerated().filter { index, _ in tags & (1 << UInt64(index)) != 0 }.map(\.element)
        let whole = NSRange(text.startIndex..., in: text)
        var found: [Finding] = []
        for (kind, expression) in candidates {
            for match in expression.matches(in: text, range: whole) {
                let range = match.range
                guard !found.contains(where: { NSIntersectionRange($0.range, range).length > 0 }) else { continue }
                let value = (text as NSString).substring(with: range)
                let valueRange = NSRange(location: 0, length: (value as NSString).length)
                if allowed.contains(where: { $0.firstMatch(in: value, range: valueRange)?.range == valueRange }) { continue }
                found.append(Finding(kind: kind, range: range))
            }
        }
        return found.sorted { $0.range.location < $1.range.location }
    }

    /// The kinds of credential anywhere in a JSON value's strings (keys included), sorted and unique.
    public func kinds(in value: JSONValue) -> [String] {
        var kinds: Set<String> = []
        visitStrings(value) { text in for finding in findings(in: text) { kinds.insert(finding.kind) } }
        return kinds.sorted()
    }

    /// `value` with every credential in its strings replaced by `[REDACTED:<kind>]`.
    public func redacting(_ value: JSONValue) -> JSONValue {
        redactedIfFound(value) ?? value
    }

    /// `value` redacted, or `nil` when it holds no credential (so nothing is copied).
    private func redactedIfFound(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .string(let text):
            let found = findings(in: text)
            return found.isEmpty ? nil : .string(redacting(text, found))
        case .array(let elements):
            let redacted = elements.map(redactedIfFound)
            guard redacted.contains(where: { $0 != nil }) else { return nil }
            return .array(zip(elements, redacted).map { $1 ?? $0 })
        case .object(let members):
            guard members.contains(where: { redactedIfFound(.string($0.key)) != nil || redactedIfFound($0.value) != nil }) else { return nil }
            return .object(Dictionary(members.map { (redacting($0.key), redacting($0.value)) }, uniquingKeysWith: { first, _ in first }))
        default: return nil
        }
    }

    /// `text` with every credential replaced by `[REDACTED:<kind>]`.
    public func redacting(_ text: String) -> String {
        redacting(text, findings(in: text))
    }

    private func redacting(_ text: String, _ found: [Finding]) -> String {
        guard !found.isEmpty else { return text }
        let result = NSMutableString(string: text)
        for finding in found.reversed() { result.replaceCharacters(in: finding.range, with: "[REDACTED:\(finding.kind)]") }
        return result as String
    }

    private func visitStrings(_ value: JSONValue, _ visit: (String) -> Void) {
        switch value {
        case .string(let text): visit(text)
        case .array(let elements): for element in elements { visitStrings(element, visit) }
        case .object(let members):
            for (key, member) in members {
                visit(key)
                visitStrings(member, visit)
            }
        default: break
        }
    }
}

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

    private let compiled: [(String, NSRegularExpression, [[UInt8]])]
    private let allowed: [NSRegularExpression]

    /// A scanner with the built-in detectors; a finding whose text matches any of `allow` is ignored.
    public init(allow: [String] = []) throws {
        compiled = try Self.detectors.map { ($0.kind, try NSRegularExpression(pattern: $0.pattern), $0.literals.map { Array($0.utf8) }) }
        allowed = try allow.map { try NSRegularExpression(pattern: $0) }
    }

    /// The credentials in `text`, in order, without overlaps.
    public func findings(in text: String) -> [Finding] {
        let candidates = compiled.filter { _, _, literals in
            literals.contains { literal in
                text.utf8.withContiguousStorageIfAvailable { Self.contains($0, literal) } ?? Array(text.utf8).withUnsafeBufferPointer { Self.contains($0, literal) }
            }
        }
        guard !candidates.isEmpty else { return [] }
        let whole = NSRange(text.startIndex..., in: text)
        var found: [Finding] = []
        for (kind, expression, _) in candidates {
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
        switch value {
        case .string(let text): return .string(redacting(text))
        case .array(let elements): return .array(elements.map(redacting))
        case .object(let members):
            return .object(Dictionary(members.map { (redacting($0.key), redacting($0.value)) }, uniquingKeysWith: { first, _ in first }))
        default: return value
        }
    }

    /// `text` with every credential replaced by `[REDACTED:<kind>]`.
    public func redacting(_ text: String) -> String {
        let found = findings(in: text)
        guard !found.isEmpty else { return text }
        let result = NSMutableString(string: text)
        for finding in found.reversed() { result.replaceCharacters(in: finding.range, with: "[REDACTED:\(finding.kind)]") }
        return result as String
    }

    /// Whether `bytes` contains `literal` (a non-empty byte string).
    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: [UInt8]) -> Bool {
        guard let base = bytes.baseAddress, let first = literal.first, bytes.count >= literal.count else { return false }
        let last = bytes.count - literal.count
        var offset = 0
        while offset <= last {
            guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
            let position = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if literal.withUnsafeBufferPointer({ memcmp(base + position, $0.baseAddress!, literal.count) }) == 0 { return true }
            offset = position + 1
        }
        return false
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

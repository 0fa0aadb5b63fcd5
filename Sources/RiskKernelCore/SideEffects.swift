/// The MCP tool annotations that side-effect classification reads.
public struct ToolAnnotations: Sendable, Hashable {
    public var readOnlyHint: Bool?
    public var destructiveHint: Bool?

    public init(readOnlyHint: Bool? = nil, destructiveHint: Bool? = nil) {
        self.readOnlyHint = readOnlyHint
        self.destructiveHint = destructiveHint
    }

    /// Reads `annotations` from a tool definition as listed by `tools/list`.
    public init(tool definition: JSONValue) {
        let annotations = definition["annotations"]
        readOnlyHint = annotations?["readOnlyHint"]?.boolValue
        destructiveHint = annotations?["destructiveHint"]?.boolValue
    }
}

/// Decides the side-effect label of a tool.
public enum SideEffectClassifier {
    public static let read = "read"
    public static let write = "write"
    public static let destructiveWrite = "write.destructive"

    /// The policy's `sideEffects` map first (an exact name wins over a glob, then the longest glob),
    /// else the tool's MCP annotations: `readOnlyHint: true` is `read`, `destructiveHint: true` is
    /// `write.destructive`, anything else (including an unknown tool) is `write`.
    public static func classify(tool: String, annotations: ToolAnnotations?, policy: Policy) -> String {
        if let label = mostSpecificMatch(for: tool, in: policy.sideEffects.map { ($0.tool, $0.label) }) {
            return label
        }
        if annotations?.readOnlyHint == true { return read }
        if annotations?.destructiveHint == true { return destructiveWrite }
        return write
    }

    /// Among `(glob, value)` pairs, the value of the exact match, else of the longest matching glob.
    public static func mostSpecificMatch<Value>(for name: String, in entries: [(Glob, Value)]) -> Value? {
        if let exact = entries.first(where: { $0.0.isLiteral && $0.0.matches(name) }) { return exact.1 }
        return entries
            .filter { $0.0.matches(name) }
            .max { $0.0.pattern.count < $1.0.pattern.count }?.1
    }
}

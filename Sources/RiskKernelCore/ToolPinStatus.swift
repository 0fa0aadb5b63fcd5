/// How a tool's current definition compares with the one pinned for its server.
public enum ToolPinStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// The definition is the one pinned.
    case pinned
    /// The definition differs from the pinned one.
    case changed
    /// The tool was not there when the server's tools were pinned.
    case new
}

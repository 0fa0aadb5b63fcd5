/// How an array or object of a ``JSONText`` is laid out (the whitespace after its opening bracket,
/// between its items and before its closing bracket), so that new items can be written the way
/// the file already writes them, and written back the same way later.
public struct JSONLayout: Sendable, Equatable {
    /// Between the opening bracket and the first item.
    public var lead: String
    /// After each comma between items.
    public var separator: String
    /// Between the last item and the closing bracket (a trailing comma of JSONC included).
    public var trail: String

    public init(lead: String, separator: String, trail: String) {
        self.lead = lead
        self.separator = separator
        self.trail = trail
    }

    /// One line, `[a, b]`.
    public static let inline = JSONLayout(lead: "", separator: " ", trail: "")

    /// The layout of the array or object `node` of `document`. With fewer than two items the
    /// separator follows the lead (a line break and indent, or one space); a separator with a
    /// comment in it is replaced by one space.
    public static func of(_ node: JSONText.Node, in document: JSONText) -> JSONLayout {
        let items: [Range<Int>]
        switch node.kind {
        case .array(let elements): items = elements.map(\.range)
        case .object(let members): items = members.map { $0.keyRange.lowerBound..<$0.value.range.upperBound }
        default: return .inline
        }
        let open = node.range.lowerBound + 1, close = node.range.upperBound - 1
        guard let first = items.first, let last = items.last else {
            let inside = document.text(open..<close)
            return JSONLayout(lead: inside, separator: inside.contains("\n") ? inside : " ", trail: "")
        }
        let lead = document.text(open..<first.lowerBound)
        let trail = document.text(last.upperBound..<close)
        var separator = lead.contains("\n") ? lead : " "
        if items.count >= 2 {
            let between = document.text(items[0].upperBound..<items[1].lowerBound)
            if let comma = between.firstIndex(of: ",") {
                let after = String(between[between.index(after: comma)...])
                separator = after.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) ? after : " "
            }
        }
        if lead.contains("/") { return JSONLayout(lead: "", separator: separator, trail: trail.contains("/") ? "" : trail) }
        return JSONLayout(lead: lead, separator: separator, trail: trail.contains("/") ? "" : trail)
    }

    /// An array of the given element texts (each already JSON), laid out this way.
    public func array(_ elements: [String]) -> String {
        guard !elements.isEmpty else { return "[" + lead + trail + "]" }
        return "[" + lead + elements.joined(separator: "," + separator) + trail + "]"
    }
}

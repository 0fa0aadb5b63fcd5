/// One entry of `spec.toolPrices`: each forwarded call of a matching tool costs `dollars`.
public struct ToolPrice: Sendable, Hashable {
    public var tool: Glob
    public var dollars: Money

    public init(tool: Glob, dollars: Money) {
        self.tool = tool
        self.dollars = dollars
    }
}

extension Policy {
    /// What one call of `tool` costs: the exact name's price, else the longest matching glob's;
    /// `nil` when the tool is not priced.
    public func price(of tool: String) -> Money? {
        SideEffectClassifier.mostSpecificMatch(for: tool, in: toolPrices.map { ($0.tool, $0.dollars) })
    }
}

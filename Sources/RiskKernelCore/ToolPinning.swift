/// `spec.toolPinning`: what happens to a call of a tool whose definition changed since it was
/// pinned, or that is new since the server's tools were pinned.
public enum ToolPinningMode: String, Sendable, Hashable, CaseIterable {
    /// Refuse the call until a person approves the tool (`riskkernel tools approve`). The default.
    case enforce
    /// Let the call through; the gateway only warns.
    case warn
    /// Do not check pins.
    case off
}

/// How a tool compares with its pin, as the gateway found it for one server identity.
public enum ToolPinStatus: String, Sendable, Hashable, CaseIterable {
    /// The definition is the one that was pinned (or approved since).
    case pinned
    /// The definition differs from the pinned one.
    case changed
    /// The server did not offer the tool when its tools were pinned.
    case new
    /// The server's tool list could not be read, so the definition cannot be checked. Never
    /// stored: it is the gateway's view for one call.
    case unverified
}

extension DecisionStep {
    /// Under `toolPinning: enforce`, a tool that is `changed` or `new` is refused with the command
    /// that approves it; `pinned` tools, an unknown status, and the `warn` and `off` modes pass.
    public static let toolPinning = DecisionStep(name: "pinning") { context in
        guard context.policy.toolPinning == .enforce, let status = context.pinStatus, status != .pinned else { return .pass }
        if status == .unverified {
            return .decide(.deny(
                rule: "pinning",
                reason: "tool \"\(context.tool)\" cannot be checked against its pinned definition: the server's tool list could not be read "
                    + "(see the gateway's log), so the call was not sent"))
        }
        let what = status == .changed
            ? "has changed its definition since it was pinned"
            : "is new since the server's tools were pinned"
        return .decide(.deny(
            rule: "pinning",
            reason: "tool \"\(context.tool)\" \(what); a person must approve it before it can be called: "
                + ToolPinApproval.command(server: context.server, tool: context.tool, storeOptions: context.storeOptions)))
    }
}

/// The operator command that approves a tool's current definition.
public enum ToolPinApproval {
    /// `riskkernel tools approve --server SERVER TOOL STORE-OPTIONS`, each word shell-quoted when
    /// needed; without `--server` when the server identity is unknown (empty). `storeOptions` is
    /// shell text that names the store (`--db /abs/path.sqlite`), so the command runs from any folder.
    public static func command(server: String, tool: String, storeOptions: String = "") -> String {
        let serverOption = server.isEmpty ? [] : ["--server", ShellQuote.quote(server)]
        return (["riskkernel", "tools", "approve"] + serverOption + [ShellQuote.quote(tool)] + (storeOptions.isEmpty ? [] : [storeOptions]))
            .joined(separator: " ")
    }
}

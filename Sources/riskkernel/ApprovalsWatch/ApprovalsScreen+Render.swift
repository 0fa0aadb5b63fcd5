import Foundation
import RiskKernelCore
import RiskKernelStore

extension ApprovalsScreen {
    /// The screen as lines of text (no escape sequences; text from the store made terminal-safe):
    /// a title, the keys, then each pending approval on a numbered line with its time left, the
    /// selected one marked `>`. Each approval's details and pretty-printed arguments are indented
    /// under it; when `height` lines cannot hold them all, only the selected approval's are shown.
    /// Last come the reason being typed, if any, and the status line.
    ///
    /// - Parameters:
    ///   - now: the clock that time left is counted from.
    ///   - source: where the approvals are read from (a database path or URL), for the title.
    ///   - keys: the line that says which keys do what.
    ///   - height: the terminal's rows, or `nil` for no limit.
    func lines(now: Date, source: String, keys: String, height: Int?) -> [String] {
        var head = ["pending approvals in \(source): \(pending.count), soonest to expire first", keys, ""]
        if pending.isEmpty { head.append("  (none; waiting for calls to be held)") }
        var tail: [String] = []
        if case .askingReason(let id, let typed) = mode {
            tail += ["", "deny \(id): type the reason shown to the agent, Enter to deny, Esc to cancel", "reason: \(Formatting.terminalSafe(typed))"]
        }
        if let status { tail += ["", Formatting.terminalSafe(status)] }

        let expanded = pending.enumerated().flatMap { index, approval in entry(index, approval, now: now, details: true) }
        let fits = height.map { head.count + expanded.count + tail.count <= $0 } ?? true
        let body = fits
            ? expanded
            : pending.enumerated().flatMap { index, approval in entry(index, approval, now: now, details: approval.id == selectedId) }
        return head + body + tail
    }

    /// What changes the screen apart from the clock: the approvals, the selection, the mode and
    /// the status. Line mode prints the screen again only when this changes.
    var signature: String {
        "\(pending.map(\.id))|\(selectedId ?? "")|\(mode)|\(status ?? "")"
    }

    private func entry(_ index: Int, _ approval: ApprovalRecord, now: Date, details: Bool) -> [String] {
        let marker = approval.id == selectedId ? ">" : " "
        let headline = "\(marker) \(index + 1). \(Formatting.terminalSafe(approval.tool))  \(Self.timeLeft(approval, now: now))  \(approval.id)"
        guard details else { return [headline] }
        let indent = "       "
        var lines = [
            headline,
            "\(indent)side effect \(Formatting.terminalSafe(approval.sideEffect)), rule \(Formatting.terminalSafe(approval.rule)), run \(approval.runId)",
            "\(indent)requested \(Formatting.time(approval.createdAt)), expires \(Formatting.time(approval.expiresAt))",
        ]
        if let forwarded = approval.forwardedArguments {
            lines += Self.json("will run:", forwarded, indent: indent)
            lines += Self.json("model sent:", approval.arguments, indent: indent)
        } else {
            lines += Self.json("arguments:", approval.arguments, indent: indent)
        }
        return lines
    }

    /// `label` on its own line, then the value pretty-printed two spaces further in, each line
    /// terminal-safe.
    static func json(_ label: String, _ value: JSONValue, indent: String) -> [String] {
        let inner = indent + "  "
        let body = PrettyJSON.string(value).split(separator: "\n", omittingEmptySubsequences: false)
            .map { inner + Formatting.terminalSafe(String($0)) }
        return [indent + label] + body
    }
}

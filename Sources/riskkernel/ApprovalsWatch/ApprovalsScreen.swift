import Foundation
import RiskKernelStore

/// What `approvals watch` shows and how keys change it, apart from the terminal and the store:
/// the pending approvals (soonest to expire first), the selected one, a denial's reason being
/// typed, and the last thing that happened. Each key is a mutating method that returns the
/// ``Action`` the command then performs (deciding an approval in the store, or quitting).
struct ApprovalsScreen: Sendable {
    /// Whether keys choose commands or type a denial's reason.
    enum Mode: Equatable, Sendable {
        case browsing
        /// `d` was pressed on `approvalId`; the reason typed so far.
        case askingReason(approvalId: String, typed: String)
    }

    /// What the command does after a key.
    enum Action: Equatable, Sendable {
        case none
        case approve(approvalId: String)
        case deny(approvalId: String, reason: String)
        case quit
    }

    /// The reason recorded when a denial's reason is left empty.
    static let defaultDenialReason = "denied at the prompt"

    /// The approvals still open, soonest to expire first (those with no expiry last), then oldest first.
    private(set) var pending: [ApprovalRecord] = []
    private(set) var selectedId: String?
    private(set) var mode: Mode = .browsing
    /// The last thing that happened (a decision, an approval gone), for the status line.
    var status: String?

    /// The selected approval, if any is pending.
    var selected: ApprovalRecord? { pending.first { $0.id == selectedId } }

    /// The 0-based position of the selected approval in ``pending``.
    var selectedIndex: Int? { pending.firstIndex { $0.id == selectedId } }

    /// Takes the store's pending approvals as they stand at `now`: those past their expiry are
    /// dropped, the selection stays on the same approval (or moves to the one now in its place
    /// when it is gone), and a denial being typed for an approval that is gone is abandoned.
    mutating func update(pending approvals: [ApprovalRecord], now: Date) {
        let previousIndex = selectedIndex ?? 0
        let before = Set(pending.map(\.id))
        pending = approvals
            .filter { $0.status == .pending && !$0.isPastExpiry(now) }
            .sorted(by: Self.soonestToExpire)
        let after = Set(pending.map(\.id))
        let gone = before.subtracting(after).sorted()
        if !gone.isEmpty { status = "no longer pending (decided elsewhere or expired): \(gone.joined(separator: ", "))" }
        if case .askingReason(let id, _) = mode, !after.contains(id) { mode = .browsing }
        if let selectedId, after.contains(selectedId) { return }
        selectedId = pending.isEmpty ? nil : pending[min(previousIndex, pending.count - 1)].id
    }

    /// What a key does: ↑/↓ (or k/j) move the selection, 1–9 select by number, `a` approves the
    /// selected approval, `d` asks for a reason and then denies it, `q` (or Ctrl-D, Ctrl-C)
    /// quits. While a reason is typed, Enter denies, Escape cancels and Backspace erases.
    mutating func press(_ key: WatchKey) -> Action {
        if case .askingReason(let id, var typed) = mode {
            switch key {
            case .character(let character):
                typed.append(character)
                mode = .askingReason(approvalId: id, typed: typed)
            case .backspace:
                if !typed.isEmpty { typed.removeLast() }
                mode = .askingReason(approvalId: id, typed: typed)
            case .enter:
                mode = .browsing
                let reason = typed.trimmingCharacters(in: .whitespaces)
                return .deny(approvalId: id, reason: reason.isEmpty ? Self.defaultDenialReason : reason)
            case .escape:
                mode = .browsing
                status = "denial of \(id) cancelled"
            case .endOfInput, .interrupt:
                return .quit
            case .up, .down:
                break
            }
            return .none
        }
        switch key {
        case .up, .character("k"): move(by: -1)
        case .down, .character("j"), .character("s"): move(by: 1)
        case .character(let digit) where digit.wholeNumberValue.map({ (1...9).contains($0) }) == true:
            select(number: digit.wholeNumberValue!)
        case .character("a"), .character("A"):
            if let selectedId { return .approve(approvalId: selectedId) }
            status = "nothing to approve"
        case .character("d"), .character("D"):
            if let selectedId { mode = .askingReason(approvalId: selectedId, typed: "") } else { status = "nothing to deny" }
        case .character("q"), .character("Q"), .endOfInput, .interrupt:
            return .quit
        default:
            break
        }
        return .none
    }

    /// Selects the approval numbered `number` on screen (1 is the first); out of range does nothing.
    mutating func select(number: Int) {
        guard number >= 1, number <= pending.count else { return }
        selectedId = pending[number - 1].id
    }

    private mutating func move(by offset: Int) {
        guard !pending.isEmpty else { return }
        let index = max(0, min(pending.count - 1, (selectedIndex ?? 0) + offset))
        selectedId = pending[index].id
    }

    /// Soonest expiry first; no expiry after any expiry; then the oldest request, then by id.
    static func soonestToExpire(_ a: ApprovalRecord, _ b: ApprovalRecord) -> Bool {
        switch (a.expiresAt, b.expiresAt) {
        case let (x?, y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id < b.id
        }
    }

    /// The time until `approval` expires at `now`, to the second: `42s left`, `4m 05s left`,
    /// `1h 02m left`; `expired` at or past its expiry; `no expiry` when it has none.
    static func timeLeft(_ approval: ApprovalRecord, now: Date) -> String {
        guard let expiresAt = approval.expiresAt else { return "no expiry" }
        let seconds = Int(expiresAt.timeIntervalSince(now).rounded(.down))
        guard seconds > 0 else { return "expired" }
        if seconds < 60 { return "\(seconds)s left" }
        if seconds < 3600 { return String(format: "%dm %02ds left", seconds / 60, seconds % 60) }
        return String(format: "%dh %02dm left", seconds / 3600, (seconds % 3600) / 60)
    }
}

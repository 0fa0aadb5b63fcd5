import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

@testable import riskkernel

/// `approvals watch`'s screen model: which approvals, in what order, with how long left, which
/// one is selected, and what each key does.
@Suite("approvals watch screen")
struct ApprovalsScreenTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func approval(_ id: String, tool: String = "send_message", created: TimeInterval = 0, expires: TimeInterval?, status: ApprovalStatus = .pending) -> ApprovalRecord {
        ApprovalRecord(
            id: id, runId: "run_1", toolCallId: "tc_\(id)", tool: tool, sideEffect: "external", arguments: ["to": "ops", "n": 1],
            rule: tool, status: status, decidedBy: nil, reason: nil, createdAt: now.addingTimeInterval(created), decidedAt: nil,
            expiresAt: expires.map { now.addingTimeInterval($0) })
    }

    @Test("every pending approval, soonest to expire first, none past expiry or decided")
    func order() {
        var screen = ApprovalsScreen()
        screen.update(pending: [
            approval("apr_late", expires: 600), approval("apr_none", expires: nil), approval("apr_soon", created: 5, expires: 30),
            approval("apr_gone", expires: -1), approval("apr_done", expires: 100, status: .approved),
        ], now: now)
        #expect(screen.pending.map(\.id) == ["apr_soon", "apr_late", "apr_none"])
        #expect(screen.selectedId == "apr_soon")
    }

    @Test("time left to the second, in minutes or hours when long")
    func timeLeft() {
        #expect(ApprovalsScreen.timeLeft(approval("a", expires: 42.7), now: now) == "42s left")
        #expect(ApprovalsScreen.timeLeft(approval("a", expires: 245), now: now) == "4m 05s left")
        #expect(ApprovalsScreen.timeLeft(approval("a", expires: 3720), now: now) == "1h 02m left")
        #expect(ApprovalsScreen.timeLeft(approval("a", expires: 0), now: now) == "expired")
        #expect(ApprovalsScreen.timeLeft(approval("a", expires: nil), now: now) == "no expiry")
    }

    @Test("the selection follows its approval, and moves to the next when it is decided elsewhere")
    func selectionSurvivesUpdates() {
        var screen = ApprovalsScreen()
        let (a, b, c) = (approval("apr_a", expires: 10), approval("apr_b", expires: 20), approval("apr_c", expires: 30))
        screen.update(pending: [a, b, c], now: now)
        _ = screen.press(.down)
        #expect(screen.selectedId == "apr_b")
        // A new approval that expires sooner comes first; the selection stays on b.
        screen.update(pending: [approval("apr_0", expires: 5), a, b, c], now: now)
        #expect(screen.selectedId == "apr_b")
        // b is decided elsewhere: the one now in its place is selected, and the status says so.
        screen.update(pending: [approval("apr_0", expires: 5), a, c], now: now)
        #expect(screen.selectedId == "apr_c")
        #expect(screen.status?.contains("apr_b") == true)
        screen.update(pending: [], now: now)
        #expect(screen.selectedId == nil)
        #expect(screen.press(.character("a")) == .none)
    }

    @Test("single keys: arrows, j/k and numbers select, a approves, d asks a reason then denies, q quits")
    func keys() {
        var screen = ApprovalsScreen()
        screen.update(pending: [approval("apr_a", expires: 10), approval("apr_b", expires: 20), approval("apr_c", expires: 30)], now: now)
        #expect(screen.press(.character("a")) == .approve(approvalId: "apr_a"))
        _ = screen.press(.character("3"))
        #expect(screen.selectedId == "apr_c")
        _ = screen.press(.down)
        #expect(screen.selectedId == "apr_c")
        _ = screen.press(.up)
        _ = screen.press(.character("k"))
        #expect(screen.selectedId == "apr_a")
        _ = screen.press(.character("j"))
        #expect(screen.press(.character("d")) == .none)
        #expect(screen.mode == .askingReason(approvalId: "apr_b", typed: ""))
        for key in "not nowx" { _ = screen.press(.character(key)) }
        _ = screen.press(.backspace)
        // While a reason is typed, letters are text, not commands.
        #expect(screen.mode == .askingReason(approvalId: "apr_b", typed: "not now"))
        #expect(screen.press(.enter) == .deny(approvalId: "apr_b", reason: "not now"))
        #expect(screen.mode == .browsing)
        _ = screen.press(.character("d"))
        #expect(screen.press(.enter) == .deny(approvalId: "apr_b", reason: ApprovalsScreen.defaultDenialReason))
        _ = screen.press(.character("d"))
        #expect(screen.press(.escape) == .none)
        #expect(screen.mode == .browsing)
        #expect(screen.press(.character("q")) == .quit)
        #expect(screen.press(.endOfInput) == .quit)
    }

    @Test("a denial being typed is dropped when its approval is decided elsewhere")
    func reasonForAGoneApproval() {
        var screen = ApprovalsScreen()
        screen.update(pending: [approval("apr_a", expires: 10), approval("apr_b", expires: 20)], now: now)
        _ = screen.press(.character("d"))
        _ = screen.press(.character("x"))
        screen.update(pending: [approval("apr_b", expires: 20)], now: now)
        #expect(screen.mode == .browsing)
        #expect(screen.selectedId == "apr_b")
    }

    @Test("each entry shows its time left and its arguments pretty-printed and indented under it")
    func render() {
        var screen = ApprovalsScreen()
        var escaped = approval("apr_b", expires: 90)
        escaped.arguments = ["text": "hi \u{1B}[2J", "to": ["ops", "dev"]]
        screen.update(pending: [approval("apr_a", expires: 30), escaped], now: now)
        let lines = screen.lines(now: now, source: "/tmp/db.sqlite", keys: "keys: …", height: nil)
        let text = lines.joined(separator: "\n")
        #expect(lines.contains("> 1. send_message  30s left  apr_a"))
        #expect(lines.contains("  2. send_message  1m 30s left  apr_b"))
        #expect(text.contains("""
                   arguments:
                     {
                       "text": "hi \\u001b[2J",
                       "to": [
                         "ops",
                         "dev"
                       ]
                     }
            """))
        #expect(!text.contains("\u{1B}"))
        // Too short for every entry's details: only the selected one keeps them.
        let short = screen.lines(now: now, source: "db", keys: "keys", height: 12)
        #expect(short.filter { $0.contains("arguments:") }.count == 1)
        #expect(short.contains("  2. send_message  1m 30s left  apr_b"))
    }

    @Test("raw terminal bytes become keys: arrows, Enter, Backspace, Escape, Ctrl-D and text")
    func decoder() {
        var decoder = KeyDecoder()
        #expect(decoder.feed(Array("a\u{1B}[A\u{1B}OB\r\u{7F}".utf8)) == [.character("a"), .up, .down, .enter, .backspace])
        #expect(decoder.feed([0x1B]) == [.escape])
        #expect(decoder.feed([0x1B, UInt8(ascii: "[")]) == [])
        #expect(decoder.feed([UInt8(ascii: "B"), 0x04]) == [.down, .endOfInput])
        #expect(decoder.feed(Array("né\n".utf8)) == [.character("n"), .character("é"), .enter])
    }

    @Test("line mode: a number selects, d REASON denies in one line, a lone d takes the next line as the reason")
    func lineMode() {
        var screen = ApprovalsScreen()
        screen.update(pending: [approval("apr_a", expires: 10), approval("apr_b", expires: 20)], now: now)
        #expect(WatchLoop.keys(forLine: "2", screen: &screen) == [])
        #expect(screen.selectedId == "apr_b")
        #expect(WatchLoop.keys(forLine: "d too risky", screen: &screen)
            == [.character("d")] + "too risky".map(WatchKey.character) + [.enter])
        #expect(WatchLoop.keys(forLine: " a ", screen: &screen) == [.character("a")])
        _ = screen.press(.character("d"))
        #expect(WatchLoop.keys(forLine: "a reason", screen: &screen) == "a reason".map(WatchKey.character) + [.enter])
    }
}

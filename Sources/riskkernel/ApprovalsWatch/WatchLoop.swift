import Foundation
import RiskKernelStore

/// Where `approvals watch` shows its screen.
enum WatchScreenOutput {
    /// Redrawn in place on a terminal in raw mode.
    case terminal(RawTerminal)
    /// Printed again as plain lines whenever it changes (line mode); `keys` is the commands line,
    /// `nil` when no commands are read (`--no-prompt`).
    case lines(keys: String?)
}

/// Turns `approvals watch`'s events into screen changes and actions, and shows the screen.
struct WatchLoop {
    var screen = ApprovalsScreen()
    let screenOutput: WatchScreenOutput
    let source: String
    private var shown: [String] = []
    private var shownSignature: String?

    init(screenOutput: WatchScreenOutput, source: String) {
        self.screenOutput = screenOutput
        self.source = source
    }

    /// Applies an event to the screen; the action to perform, or `nil` to quit.
    mutating func handle(_ event: WatchEvent) -> ApprovalsScreen.Action? {
        switch event {
        case .pending(let approvals, let readAt):
            screen.update(pending: approvals, now: readAt)
        case .tick(let now):
            screen.update(pending: screen.pending, now: now)
        case .storeFailed(let message):
            screen.status = "could not read the approvals: \(message)"
        case .inputEnded:
            return nil
        case .keys(let keys):
            for key in keys {
                let action = screen.press(key)
                if action == .quit { return nil }
                if action != .none { return action }
            }
        case .line(let line):
            for key in Self.keys(forLine: line, screen: &screen) {
                let action = screen.press(key)
                if action == .quit { return nil }
                if action != .none { return action }
            }
        }
        return ApprovalsScreen.Action.none
    }

    /// The keys a line of line mode stands for: while a reason is asked for, the line is the
    /// reason; a number selects (and stands for no key); `d REASON` is `d`, the reason, Enter;
    /// otherwise the line's first character.
    static func keys(forLine line: String, screen: inout ApprovalsScreen) -> [WatchKey] {
        if case .askingReason = screen.mode { return line.map(WatchKey.character) + [.enter] }
        let command = line.trimmingCharacters(in: .whitespaces)
        if let number = Int(command) {
            screen.select(number: number)
            return []
        }
        guard let first = command.first else { return [] }
        if first == "d" || first == "D", let space = command.firstIndex(of: " ") {
            let reason = command[space...].trimmingCharacters(in: .whitespaces)
            if !reason.isEmpty { return [.character("d")] + reason.map(WatchKey.character) + [.enter] }
        }
        return [.character(first)]
    }

    /// Shows the screen as of `now`: redrawn on a terminal when any line changed (time left
    /// changes each second); printed again in line mode only when its ``ApprovalsScreen/signature`` changed.
    mutating func show(now: Date) {
        switch screenOutput {
        case .terminal(let terminal):
            let lines = screen.lines(now: now, source: source, keys: Watch.terminalKeys, height: RawTerminal.size()?.rows)
            guard lines != shown else { return }
            shown = lines
            terminal.draw(lines)
        case .lines(let keys):
            guard screen.signature != shownSignature else { return }
            shownSignature = screen.signature
            print("")
            print(screen.lines(now: now, source: source, keys: keys ?? "(printing only)", height: nil).joined(separator: "\n"))
            flush()
        }
    }

    private typealias Watch = ApprovalsCommand.Watch
}

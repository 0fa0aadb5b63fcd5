import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

extension ApprovalsCommand {
    /// `approvals watch`: every pending approval with its time left, live, decided with single keys.
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract: "Show every pending approval with its time left, live, and decide them with single keys.",
            discussion: """
                The list is soonest to expire first and changes as calls are held, decided elsewhere \
                and expire. Each approval shows its tool, rule, side effect, run and the arguments \
                that will run (pretty-printed, control characters escaped); when they do not all fit, \
                only the selected approval's details are shown.

                Keys, no Enter needed: up and down arrows (or k and j) or 1 to 9 select an approval; \
                a approves it; d denies it after asking for the reason shown to the agent (Enter \
                denies, Esc cancels); q quits. The terminal is restored on exit and on Ctrl-C.

                When stdin is not a terminal (a script or a pipe), it reads one command per line \
                instead and prints the list again whenever it changes: a approves the selected \
                approval (marked >), d REASON denies it (a d alone takes the next line as the \
                reason), a number selects that approval, j and k move the selection, q or the end \
                of input quits. With --no-prompt it only prints the list as it changes.
                """)
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Who decides (default: $USER).") var by: String?
        @Option(help: ArgumentHelp(
            "How often the time left is redrawn, in seconds (default: 1). The list itself is read again whenever the store changes.",
            valueName: "seconds"))
        var interval: Double?
        /// ``interval``, or its default of 1 s.
        var redrawInterval: Double { interval ?? 1 }
        @Flag(help: "Only print the pending approvals as they change; read no commands.") var noPrompt = false

        static let terminalKeys = "keys: ↑/↓ or 1-9 select · a approve · d deny (asks a reason) · q quit"
        static let lineKeys = "commands, one a line: a approve the selected (>) · d REASON deny it · N select number N · j/k next/previous · q quit"

        func validate() throws {
            guard redrawInterval > 0 else { throw ValidationError("--interval must be positive") }
        }

        func run() async throws {
            guard let store = try await storeOptions.openStore() as? any Store & StoreChangeObserving else {
                throw ValidationError("this store gives no change signal to watch")
            }
            let decider = by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
            let (events, continuation) = AsyncStream.makeStream(of: WatchEvent.self, bufferingPolicy: .unbounded)
            let terminal = noPrompt ? nil : RawTerminal.enter()
            let screenOutput: WatchScreenOutput = terminal.map { .terminal($0) } ?? .lines(keys: noPrompt ? nil : Self.lineKeys)
            if terminal != nil {
                WatchInput.readKeys { continuation.yield($0) }
            } else if !noPrompt {
                WatchInput.readLines { continuation.yield($0) }
            }
            var decisions: [String] = []
            defer {
                terminal?.restore()
                for line in decisions { print(line) }
                flush()
            }
            await withTaskGroup(of: Void.self) { group in
                // The list, read at once and after each change the store signals (a held call, a
                // decision or an expiry written by any process), and a clock for the time left.
                group.addTask {
                    for await _ in store.changes() {
                        do {
                            let pending = try await store.listApprovals(status: .pending, runId: nil)
                            continuation.yield(.pending(pending, readAt: Date()))
                        } catch {
                            continuation.yield(.storeFailed("\(error)"))
                        }
                    }
                }
                let tick = Duration.milliseconds(Int64(redrawInterval * 1000))
                group.addTask {
                    while (try? await Task.sleep(for: tick)) != nil {
                        continuation.yield(.tick(Date()))
                    }
                }
                var loop = WatchLoop(screenOutput: screenOutput, source: storeOptions.resolvedPath)
                for await event in events {
                    guard let action = loop.handle(event) else { break }
                    if case .some(let decision) = await Self.perform(action, store: store, decider: decider) {
                        if let pending = try? await store.listApprovals(status: .pending, runId: nil) {
                            loop.screen.update(pending: pending, now: Date())
                        }
                        loop.screen.status = decision
                        decisions.append(decision)
                    }
                    loop.show(now: Date())
                }
                group.cancelAll()
            }
        }

        /// Decides an approval in the store; the line that says what happened (or why it could not).
        static func perform(_ action: ApprovalsScreen.Action, store: any Store, decider: String) async -> String? {
            let (id, status, reason): (String, ApprovalStatus, String?)
            switch action {
            case .approve(let approvalId): (id, status, reason) = (approvalId, .approved, nil)
            case .deny(let approvalId, let why): (id, status, reason) = (approvalId, .denied, why)
            case .none, .quit: return nil
            }
            do {
                let approval = try await store.resolveApproval(id: id, status: status, decidedBy: decider, reason: reason)
                let verb = status == .approved ? "approved" : "denied"
                return "\(verb) \(approval.id): tool \(Formatting.terminalSafe(approval.tool)) (run \(approval.runId))\(reason.map { ": \($0)" } ?? "")"
            } catch {
                return "could not \(status == .approved ? "approve" : "deny") \(id): \(error)"
            }
        }
    }
}

/// Flushes stdout.
func flush() { fflush(nil) }

import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelGateway
import RiskKernelStore

extension ApprovalsCommand {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract: "Follow new pending approvals and decide each at a prompt.",
            discussion: """
                For each pending call it shows the tool, the rule and the arguments (control characters
                escaped), then asks: [a]pprove, [d]eny (then a reason), [s]kip. End with Ctrl-D or Ctrl-C.
                With --no-prompt it only prints pending approvals as they arrive.
                """)
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Who decides (default: $USER).") var by: String?
        @Option(help: ArgumentHelp("How often to look for new approvals.", valueName: "seconds")) var interval: Double = 0.2
        @Flag(help: "Only print pending approvals; do not prompt.") var noPrompt = false

        func run() async throws {
            let store = try await storeOptions.openStore()
            let decider = by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
            var seen: Set<String> = []
            let keyboard = KeyboardLines()
            print("watching for pending approvals in \(storeOptions.resolvedPath) (Ctrl-D or Ctrl-C to stop)")
            flush()
            while true {
                if !noPrompt, await keyboard.isFinished { return }
                let pending = try await store.listApprovals(status: .pending, runId: nil).reversed().filter { !seen.contains($0.id) }
                for approval in pending {
                    seen.insert(approval.id)
                    print(Self.describe(approval))
                    if noPrompt { flush(); continue }
                    guard let answer = await Self.ask("approve this call? [a]pprove / [d]eny / [s]kip: ", keyboard) else { return }
                    switch answer.lowercased() {
                    case "a", "approve", "y", "yes":
                        await Self.decide(store, approval, .approved, by: decider, reason: nil)
                    case "d", "deny", "n", "no":
                        guard let reason = await Self.ask("reason: ", keyboard) else { return }
                        await Self.decide(store, approval, .denied, by: decider, reason: reason.isEmpty ? "denied at the prompt" : reason)
                    default:
                        print("skipped \(approval.id)")
                    }
                    flush()
                }
                try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
            }
        }

        static func describe(_ approval: ApprovalRecord) -> String {
            """

            ── approval \(approval.id) ── run \(approval.runId)
               tool:        \(Formatting.terminalSafe(approval.tool))
               side effect: \(Formatting.terminalSafe(approval.sideEffect))
               rule:        \(Formatting.terminalSafe(approval.rule))
            \(argumentLines(approval))
               requested:   \(Formatting.time(approval.createdAt))\(approval.expiresAt.map { "\n   expires:     \(Formatting.time($0))" } ?? "")
            """
        }

        /// The arguments that will run (pretty-printed), and the model's own when a rule rewrote them.
        static func argumentLines(_ approval: ApprovalRecord) -> String {
            func pretty(_ value: JSONValue) -> String {
                PrettyJSON.string(value, indent: "               ").split(separator: "\n").map { Formatting.terminalSafe(String($0)) }.joined(separator: "\n")
            }
            guard let forwarded = approval.forwardedArguments else { return "   arguments:   \(pretty(approval.arguments))" }
            return "   will run:    \(pretty(forwarded))\n   model sent:  \(pretty(approval.arguments))"
        }

        static func ask(_ prompt: String, _ keyboard: KeyboardLines) async -> String? {
            print(prompt, terminator: "")
            flush()
            return await keyboard.next()?.trimmingCharacters(in: .whitespaces)
        }

        static func decide(_ store: any Store, _ approval: ApprovalRecord, _ status: ApprovalStatus, by: String, reason: String?) async {
            do {
                _ = try await store.resolveApproval(id: approval.id, status: status, decidedBy: by, reason: reason)
                print("\(status == .approved ? "approved" : "denied") \(approval.id)")
            } catch {
                print("could not decide \(approval.id): \(error)")
            }
        }
    }
}

func flush() { fflush(nil) }

/// Lines typed on stdin, read as they come so that end of input is noticed even between prompts.
actor KeyboardLines {
    private var lines: [String] = []
    private var finished = false
    private var waiter: CheckedContinuation<String?, Never>?

    init() {
        let stream = LineReader.lines(from: STDIN_FILENO, maxLineBytes: 64 * 1024)
        Task {
            for await event in stream {
                if case .line(let bytes) = event { await self.receive(String(decoding: bytes, as: UTF8.self)) }
            }
            await self.finish()
        }
    }

    var isFinished: Bool { finished && lines.isEmpty }

    /// The next line, or `nil` at end of input.
    func next() async -> String? {
        if !lines.isEmpty { return lines.removeFirst() }
        if finished { return nil }
        return await withCheckedContinuation { waiter = $0 }
    }

    private func receive(_ line: String) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: line)
        } else {
            lines.append(line)
        }
    }

    private func finish() {
        finished = true
        waiter?.resume(returning: nil)
        waiter = nil
    }
}

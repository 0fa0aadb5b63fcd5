import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RiskKernelCore

/// Tells people of new approvals where they are: the desktop, a webhook, a command.
///
/// Every delivery runs on a task of its own, bounded by ``timeout``: a slow or failing receiver
/// never holds a call up, and a failure is logged, never raised. A missing program (notify-send,
/// osascript, the command) is one warning for the life of the gateway, not one per approval.
actor ApprovalNotifier {
    let targets: [ApprovalNotifyTarget]
    let logger: Logger
    /// How long one delivery may take.
    let timeout: Duration
    private var warned: Set<String> = []

    init(targets: [ApprovalNotifyTarget], logger: Logger, timeout: Duration = .seconds(10)) {
        self.targets = targets
        self.logger = logger
        self.timeout = timeout
    }

    /// Starts the deliveries of `notice` and returns at once.
    nonisolated func notify(_ notice: ApprovalNotice) {
        for target in targets {
            Task { await self.deliver(notice, to: target) }
        }
    }

    private func deliver(_ notice: ApprovalNotice, to target: ApprovalNotifyTarget) async {
        do {
            switch target {
            case .desktop:
                #if os(macOS)
                let script = "display notification \(Self.appleScriptString(notice.text)) with title \(Self.appleScriptString(notice.title))"
                try await run(["osascript", "-e", script], input: nil, program: "osascript")
                #else
                try await run(["notify-send", "--app-name=riskkernel", notice.title, notice.text], input: nil, program: "notify-send")
                #endif
            case .webhook(let url):
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: JSONRPC.encode(notice.json)))
                let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(timeout.components.seconds * 1000))
                guard (200..<300).contains(response.status.code) else {
                    throw NotifyError(message: "the webhook answered \(response.status.code)")
                }
            case .command(let command):
                let words = command.split(whereSeparator: \.isWhitespace).map(String.init)
                try await run(words, input: JSONRPC.encode(notice.json), program: words.first ?? command)
            }
        } catch let error as MissingProgram {
            warnOnce(error.program, "cannot notify of approvals through \(target): \(error.program) is not on PATH")
        } catch {
            logger.warning("could not notify of approval \(notice.approval.id) through \(target): \(error)")
        }
    }

    private func warnOnce(_ key: String, _ message: String) {
        guard warned.insert(key).inserted else { return }
        logger.warning("\(message)")
    }

    /// Runs `arguments` (the program found on PATH, no shell) with `input` on its stdin; fails when
    /// it exits non-zero or outlives ``timeout`` (it is then killed).
    private func run(_ arguments: [String], input: [UInt8]?, program: String) async throws {
        guard let executable = Self.find(arguments[0]) else { throw MissingProgram(program: program) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            if let input { stdin.fileHandleForWriting.write(Data(input)) }
            try? stdin.fileHandleForWriting.close()
            let limit = timeout
            Task {
                try? await Task.sleep(for: limit)
                if process.isRunning { process.terminate() }
            }
        }
        guard status == 0 else { throw NotifyError(message: "\(program) exited with status \(status)") }
    }

    /// The path of `program`: itself when it names a path, else the first executable of that name on PATH.
    static func find(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func appleScriptString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    struct MissingProgram: Error { var program: String }

    struct NotifyError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

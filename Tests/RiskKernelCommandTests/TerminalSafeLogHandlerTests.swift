import Foundation
import Logging
import Synchronization
import Testing

@testable import riskkernel

private final class EventLog: Sendable {
    let events = Mutex<[LogEvent]>([])
}

/// What reaches the handler `TerminalSafeLogHandler` wraps.
private struct RecordingHandler: LogHandler {
    let log = EventLog()
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { log.events.withLock { $0.append(event) } }
}

@Suite("log lines escaped for the terminal")
struct TerminalSafeLogHandlerTests {
    /// Erase the screen, set the window title, ring the bell, a C1 CSI, a right-to-left override,
    /// a backspace and a carriage return.
    static let injection = "\u{1B}[2J\u{1B}]0;pwned\u{07}\u{9B}31m\u{202E}reversed\u{8}\r"

    static func hasControls(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.properties.generalCategory == .format }
    }

    @Test("a message and its metadata reach the wrapped handler with every control character escaped")
    func escapesMessageAndMetadata() throws {
        let recorder = RecordingHandler()
        let logger = Logger(label: "test") { _ in TerminalSafeLogHandler(wrapped: recorder) }
        logger.warning("tool x\(Self.injection) refused", metadata: ["tool": "\(Self.injection)", "n": ["a\u{1B}", "b"]])
        let events = recorder.log.events.withLock { $0 }
        let event = try #require(events.first)
        #expect(events.count == 1)
        #expect(event.level == .warning)
        #expect(!Self.hasControls(event.message.description), "\(event.message.description.debugDescription)")
        #expect(event.message.description.hasPrefix("tool x"))
        #expect(event.message.description.hasSuffix(" refused"))
        for (key, value) in event.metadata ?? [:] {
            #expect(!Self.hasControls(value.description), "\(key): \(value.description.debugDescription)")
        }
        #expect(event.metadata?.keys.sorted() == ["n", "tool"])
        // An error's text, which the stream handler prints, is escaped too.
        struct Failure: Error, CustomStringConvertible { var description: String }
        logger.error("failed", error: Failure(description: "upstream said \(Self.injection)"))
        let failed = try #require(recorder.log.events.withLock { $0.last })
        #expect(failed.error == nil)
        let message = try #require(failed.metadata?["error.message"]?.description)
        #expect(message.hasPrefix("upstream said "))
        #expect(!Self.hasControls(message), "\(message.debugDescription)")
        #expect(failed.metadata?["error.type"]?.description.hasSuffix("Failure") == true)
        // Text without controls passes unchanged.
        logger.notice("plain text: tool.call ok")
        #expect(recorder.log.events.withLock { $0.last?.message.description } == "plain text: tool.call ok")
    }
}

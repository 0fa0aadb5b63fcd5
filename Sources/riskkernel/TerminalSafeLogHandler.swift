import Logging

/// A log handler that escapes control characters (ESC, BEL, C1 codes, bidirectional overrides) in
/// messages and metadata before they reach stderr: log lines quote tool names and other text the
/// agent or the upstream chose, and a terminal must not act on them.
struct TerminalSafeLogHandler: LogHandler {
    var wrapped: any LogHandler

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    /// The event with its message, its metadata and its error's text escaped. An error is passed
    /// as the metadata swift-log's stream handler makes of it (`error.message`, `error.type`), so
    /// that its text is escaped too.
    func log(event: LogEvent) {
        var event = event
        event.message = "\(Formatting.terminalSafe(event.message.description))"
        if let error = event.error {
            event.metadata = (event.metadata ?? [:]).merging(
                ["error.message": "\(error)", "error.type": "\(String(reflecting: type(of: error)))"]) { _, new in new }
            event.error = nil
        }
        event.metadata = event.metadata?.mapValues { Logger.Metadata.Value.string(Formatting.terminalSafe($0.description)) }
        wrapped.log(event: event)
    }
}

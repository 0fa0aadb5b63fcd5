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

    func log(event: LogEvent) {
        var event = event
        event.message = "\(Formatting.terminalSafe(event.message.description))"
        event.metadata = event.metadata?.mapValues { Logger.Metadata.Value.string(Formatting.terminalSafe($0.description)) }
        wrapped.log(event: event)
    }
}

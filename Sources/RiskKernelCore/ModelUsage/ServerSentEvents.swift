/// One event of a `text/event-stream` body.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, when given.
    public var event: String?
    /// The `data:` lines joined with `\n`.
    public var data: String
    /// The event's bytes exactly as received, through the blank line that ended it.
    public var raw: [UInt8]
    /// How many bytes at the start of `raw` belong to the event before: the LF of a CRLF whose CR
    /// ended that event (it is returned as soon as its CR arrives). Whoever drops this event keeps them.
    public var carried: Int

    public init(event: String?, data: String, raw: [UInt8], carried: Int = 0) {
        self.event = event
        self.data = data
        self.raw = raw
        self.carried = carried
    }
}

/// Splits a `text/event-stream` body into events as its bytes arrive, in chunks cut anywhere.
///
/// Follows the WHATWG HTML "event stream interpretation" rules
/// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
/// lines end with CRLF, LF or CR; a line starting with `:` is a comment; `field: value` drops one
/// space after the colon; a blank line ends an event; an event without `data` is still returned
/// (with empty `data`) so that its raw bytes are never lost.
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var raw: [UInt8] = []
    private var event: String?
    private var dataLines: [String] = []
    private var sawField = false
    private var afterCR = false
    /// Bytes at the start of `raw` that end the event already returned (see ``ServerSentEvent/carried``).
    private var carried = 0

    public init() {}

    /// Bytes not yet part of a complete event.
    public var pendingBytes: [UInt8] { raw }

    /// Consumes `bytes` and returns the events they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A {
                    if raw.isEmpty { carried += 1 }
                    raw.append(byte)
                    continue
                }
            }
            raw.append(byte)
            if byte == 0x0A || byte == 0x0D {
                afterCR = byte == 0x0D
                if let completed = endLine() { events.append(completed) }
            } else {
                line.append(byte)
            }
        }
        return events
    }

    /// The event left unterminated when the stream ended (a cut stream), if it holds any field.
    public mutating func finish() -> ServerSentEvent? {
        if !line.isEmpty { processField() }
        defer { raw = []; carried = 0; reset() }
        guard sawField else { return nil }
        return ServerSentEvent(event: event, data: dataLines.joined(separator: "\n"), raw: raw, carried: carried)
    }

    private mutating func endLine() -> ServerSentEvent? {
        if line.isEmpty {
            guard sawField || !raw.isEmpty else { return nil }
            let completed = ServerSentEvent(event: event, data: dataLines.joined(separator: "\n"), raw: raw, carried: carried)
            raw = []
            carried = 0
            reset()
            return completed
        }
        processField()
        return nil
    }

    private mutating func processField() {
        defer { line = [] }
        sawField = true
        if line.first == 0x3A { return }  // a comment
        let name: [UInt8]
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: 0x3A) {
            name = Array(line[..<colon])
            value = line[(colon + 1)...]
            if value.first == 0x20 { value = value.dropFirst() }
        } else {
            name = line
            value = []
        }
        switch String(decoding: name, as: UTF8.self) {
        case "event": event = String(decoding: value, as: UTF8.self)
        case "data": dataLines.append(String(decoding: value, as: UTF8.self))
        default: break
        }
    }

    private mutating func reset() {
        event = nil
        dataLines = []
        sawField = false
    }
}

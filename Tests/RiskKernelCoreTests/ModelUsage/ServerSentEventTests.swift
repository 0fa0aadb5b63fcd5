import RiskKernelCore
import SeededRandom
import Testing

@Suite("Server-sent events")
struct ServerSentEventTests {
    static let stream = Array("""
        event: message_start\r
        data: {"type":"message_start"}\r
        \r
        : a comment
        data: first line
        data:second line

        id: 7\rdata: cr only\r\r
        """.utf8)

    @Test func eventsByTheWHATWGRules() {
        var parser = ServerSentEventParser()
        let events = parser.feed(Self.stream)
        #expect(events.map(\.event) == ["message_start", nil, nil])
        #expect(events.map(\.data) == [#"{"type":"message_start"}"#, "first line\nsecond line", "cr only"])
        #expect(events.flatMap(\.raw) == Self.stream, "the raw bytes of the events are the stream's bytes")
        #expect(parser.finish() == nil)
    }

    @Test func anUnterminatedEventIsReturnedAtTheEnd() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: {\"a\":1}\n\ndata: cut".utf8)).count == 1)
        let last = parser.finish()
        #expect(last?.data == "cut")
        #expect(last?.raw == Array("data: cut".utf8))
    }

    /// However the stream is cut into chunks (a CR and its LF apart included), the events and their bytes are the same.
    @Test func chunkBoundariesDoNotMatter() {
        var whole = ServerSentEventParser()
        let expected = whole.feed(Self.stream)
        var random = SeededRandom(seed: 18)
        for _ in 0..<500 {
            var parser = ServerSentEventParser()
            var events: [ServerSentEvent] = []
            var offset = 0
            while offset < Self.stream.count {
                let length = random.int(1...max(1, min(9, Self.stream.count - offset)))
                events += parser.feed(Self.stream[offset..<offset + length])
                offset += length
            }
            #expect(events == expected)
        }
    }
}

@Suite("Server-sent events, CRLF across events")
struct ServerSentEventCarryTests {
    @Test func theLFOfACRLFThatEndedAnEventIsCarriedByTheNext() {
        var parser = ServerSentEventParser()
        let events = parser.feed(Array("data: a\r\n\r\ndata: b\r\n\r\n".utf8))
        #expect(events.map(\.data) == ["a", "b"])
        #expect(events[0].raw == Array("data: a\r\n\r".utf8) && events[0].carried == 0)
        #expect(events[1].raw == Array("\ndata: b\r\n\r".utf8) && events[1].carried == 1)
        #expect(parser.pendingBytes == Array("\n".utf8))
        #expect(parser.finish() == nil)
    }
}

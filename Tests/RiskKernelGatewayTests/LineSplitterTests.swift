import RiskKernelGateway
import Testing

@Suite("Line framing")
struct LineSplitterTests {
    func split(_ chunks: [String], limit: Int = 16) -> [LineEvent] {
        var splitter = LineSplitter(maxLineBytes: limit)
        var events: [LineEvent] = []
        for chunk in chunks {
            Array(chunk.utf8).withUnsafeBufferPointer { splitter.feed($0) { events.append($0) } }
        }
        splitter.finish { events.append($0) }
        return events
    }

    @Test("lines split on newline, across chunks, and the last line needs no newline")
    func framing() {
        #expect(split(["{\"a\":1}\n{\"b\"", ":2}\n{\"c\":3}"]) == [
            .line(Array("{\"a\":1}".utf8)), .line(Array("{\"b\":2}".utf8)), .line(Array("{\"c\":3}".utf8)),
        ])
    }

    @Test("blank lines are skipped; a trailing carriage return stays (JSON whitespace)")
    func blankLines() {
        #expect(split(["\n  \n{}\r\n"]) == [.line(Array("{}\r".utf8))])
    }

    @Test("an oversized line is reported by size and dropped without holding it")
    func oversized() {
        let events = split([String(repeating: "x", count: 10), String(repeating: "y", count: 30), "\n{}\n"], limit: 16)
        #expect(events == [.oversized(byteCount: 40, head: Array((String(repeating: "x", count: 10) + String(repeating: "y", count: 30)).utf8), tail: Array((String(repeating: "x", count: 10) + String(repeating: "y", count: 30)).utf8)), .line(Array("{}".utf8))])
    }

    @Test("an oversized last line without a newline is still reported")
    func oversizedAtEnd() {
        #expect(split([String(repeating: "z", count: 20)], limit: 16) == [.oversized(byteCount: 20, head: Array(repeating: UInt8(ascii: "z"), count: 20), tail: Array(repeating: UInt8(ascii: "z"), count: 20))])
    }

    @Test("a line of exactly the limit passes")
    func exactLimit() {
        #expect(split([String(repeating: "1", count: 16) + "\n"], limit: 16) == [.line(Array(repeating: UInt8(ascii: "1"), count: 16))])
    }
}

import Foundation
import RiskKernelGateway
import Testing

@Suite("Line writing")
struct LineWriterTests {
    @Test("lines larger than a pipe holds arrive whole, each followed by one newline, empty lines too")
    func largeLinesThroughAPipe() async throws {
        let pipe = Pipe()
        let writer = LineWriter(fileHandle: pipe.fileHandleForWriting)
        // 3 MiB: many partial writes into a 64 KiB pipe while the other end reads.
        let lines: [[UInt8]] = [
            (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }, [], Array("{\"id\":1}".utf8), Array(repeating: 0x61, count: 65_536),
        ]
        let reading = Task.detached { try pipe.fileHandleForReading.readToEnd() ?? Data() }
        for line in lines { #expect(writer.writeLine(line)) }
        writer.close()
        let received = try await reading.value
        #expect(received == Data(lines.flatMap { $0 + [0x0A] }))
        #expect(!writer.writeLine([0x7B, 0x7D]), "a closed writer writes nothing")
    }
}

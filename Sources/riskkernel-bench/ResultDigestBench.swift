import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

/// `riskkernel-bench result-digest`: what the gateway spends to check a tool result's bytes and
/// digest them (`resultDigest`, SHA-256 of the result's RFC 8785 form), in this process, by the
/// two ways it has: parsing the result into a tree and encoding that (every result once did, and
/// small ones and those that may hold a credential still do), and making RFC 8785 bytes straight
/// from the text (``RFC8785Transcoder``, for a large plain result). Alternating, one after the other.
struct ResultDigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "result-digest",
        abstract: "Time the check and digest of a tool result: through a parsed tree, and straight from its text.")

    @Option(help: ArgumentHelp("Result sizes in bytes (comma-separated).", valueName: "sizes"))
    var sizes: String = "102400,1048576"

    @Option(help: "Rounds per size (each does both ways once).")
    var rounds: Int = 200

    func run() throws {
        let sizes = try sizes.split(separator: ",").map { part in
            guard let size = Int(part.trimmingCharacters(in: .whitespaces)), size >= 64 else { throw ValidationError("--sizes takes byte counts of at least 64, got \(part)") }
            return size
        }
        print("Check and digest of a tool result (\(rounds) rounds per size, alternating), median per result")
        var table = Table("size", "result", "tree: parse, encode, SHA-256", "from text: transcode, SHA-256", "ratio")
        for size in sizes {
            for (name, text) in Self.results(size: size) {
                var tree: [Double] = []
                var transcoded: [Double] = []
                for _ in 0..<rounds {
                    var started = nowNanos()
                    let viaTree = EventChain.hexDigest(RFC8785.encode(try JSONParser.parse(text)))
                    tree.append(Double(nowNanos() - started) / 1e3)
                    started = nowNanos()
                    let direct = EventChain.hexDigest(try RFC8785Transcoder.canonical(text))
                    transcoded.append(Double(nowNanos() - started) / 1e3)
                    guard viaTree == direct else { throw BenchError("the two ways disagree for the \(name) result of \(size) bytes") }
                }
                let (a, b) = (Samples(tree).median, Samples(transcoded).median)
                table.add(fmtSize(size), name, fmtMicros(a), fmtMicros(b), String(format: "%.2f×", b / a))
            }
        }
        print(table.render())
    }

    /// A text result as MCP servers send one, and one of many small structured items.
    static func results(size: Int) -> [(String, [UInt8])] {
        let text = #"{"content":[{"type":"text","text":""# + String(repeating: "x", count: size - 48) + #""}],"isError":false}"#
        var items: [String] = []
        var length = 0
        while length < size - 64 {
            let item = #"{"path":"src/file\#(items.count).swift","size":\#(items.count * 37),"kind":"file","modified":1.5e9}"#
            items.append(item)
            length += item.utf8.count + 1
        }
        let structured = #"{"structuredContent":{"entries":["# + items.joined(separator: ",") + #"]},"content":[]}"#
        return [("text", Array(text.utf8)), ("structured", Array(structured.utf8))]
    }
}

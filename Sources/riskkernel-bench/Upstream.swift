import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal, fast MCP server on stdio, so that what a benchmark measures is the proxy's cost:
/// it answers `initialize`, `ping`, `tools/list` (one tool, `echo`, annotated read-only) and
/// `tools/call` of `echo` with a text result of `arguments.size` bytes. It reads each request with
/// a scan for the few keys it needs instead of a full JSON parse, and caches results by size.
struct UpstreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upstream",
        abstract: "Serve a minimal MCP server on stdio (initialize, tools/list, tools/call echo of a given size).")

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let input = LineInput(fileDescriptor: 0)
        var server = UpstreamServer()
        while let line = input.readLine() {
            guard var response = server.respond(to: line) else { continue }
            response.append(0x0A)
            guard response.withUnsafeBytes({ writeAll(1, $0) }) else { break }
        }
    }
}

struct UpstreamServer {
    private var resultSuffixes: [Int: [UInt8]] = [:]

    static let toolsList = Array(#","result":{"tools":[{"name":"echo","description":"Returns a text of arguments.size bytes.","inputSchema":{"type":"object","properties":{"size":{"type":"integer"},"payload":{"type":"string"}}},"annotations":{"readOnlyHint":true}}]}}"#.utf8)

    mutating func respond(to line: [UInt8]) -> [UInt8]? {
        guard let id = JSONScan.rawValue(of: "id", in: line) else { return nil }  // a notification
        let method = JSONScan.rawValue(of: "method", in: line).map { String(decoding: $0, as: UTF8.self) } ?? ""
        var out: [UInt8] = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
        out.append(contentsOf: id)
        switch method {
        case "\"tools/call\"":
            let size = JSONScan.rawValue(of: "size", in: line).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
            out.append(contentsOf: suffix(size: max(0, min(size, 64 << 20))))
        case "\"initialize\"":
            let version = JSONScan.rawValue(of: "protocolVersion", in: line).map { String(decoding: $0, as: UTF8.self) } ?? "\"2025-06-18\""
            out.append(contentsOf: Array(#","result":{"protocolVersion":"#.utf8))
            out.append(contentsOf: Array(version.utf8))
            out.append(contentsOf: Array(#","capabilities":{"tools":{"listChanged":false}},"serverInfo":{"name":"riskkernel-bench-upstream","version":"1.0.0"}}}"#.utf8))
        case "\"tools/list\"":
            out.append(contentsOf: Self.toolsList)
        case "\"ping\"":
            out.append(contentsOf: Array(#","result":{}}"#.utf8))
        default:
            out.append(contentsOf: Array(#","error":{"code":-32601,"message":"Method not found"}}"#.utf8))
        }
        return out
    }

    private mutating func suffix(size: Int) -> [UInt8] {
        if let cached = resultSuffixes[size] { return cached }
        var bytes = Array(#","result":{"content":[{"type":"text","text":""#.utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: size))
        bytes.append(contentsOf: Array(#""}],"isError":false}}"#.utf8))
        resultSuffixes[size] = bytes
        return bytes
    }
}

/// The offset of the first occurrence of `pattern` in `buffer` at or after `from`.
func find(_ pattern: [UInt8], in buffer: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
    guard let base = buffer.baseAddress, let first = pattern.first else { return nil }
    var offset = from
    while offset + pattern.count <= buffer.count {
        guard let hit = memchr(base + offset, Int32(first), buffer.count - offset - pattern.count + 1) else { return nil }
        let position = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        if memcmp(base + position, pattern, pattern.count) == 0 { return position }
        offset = position + 1
    }
    return nil
}

/// Finds a key's raw value in a JSON line without parsing all of it. Good enough for the bench's
/// own messages (and those of the proxies it drives): keys it looks for appear once.
enum JSONScan {
    /// The raw bytes of the first value of `"key"` (a string keeps its quotes).
    static func rawValue(of key: String, in line: [UInt8]) -> ArraySlice<UInt8>? {
        let pattern = Array("\"\(key)\"".utf8)
        return line.withUnsafeBufferPointer { buffer -> ArraySlice<UInt8>? in
            guard let base = buffer.baseAddress else { return nil }
            var from = 0
            while from + pattern.count <= buffer.count {
                guard let found = find(pattern, in: buffer, from: from) else { return nil }
                var index = found + pattern.count
                from = index
                while index < buffer.count, buffer[index] == 0x20 || buffer[index] == 0x09 { index += 1 }
                guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else { continue }
                index += 1
                while index < buffer.count, buffer[index] == 0x20 || buffer[index] == 0x09 { index += 1 }
                guard index < buffer.count else { return nil }
                let start = index
                if buffer[index] == 0x22 {
                    index += 1
                    while index < buffer.count, buffer[index] != 0x22 {
                        index += buffer[index] == 0x5C ? 2 : 1
                    }
                    return line[start..<min(index + 1, buffer.count)]
                }
                while index < buffer.count, buffer[index] != UInt8(ascii: ","), buffer[index] != UInt8(ascii: "}"),
                      buffer[index] != UInt8(ascii: "]"), buffer[index] != 0x20 {
                    index += 1
                }
                return line[start..<index]
            }
            return nil
        }
    }
}

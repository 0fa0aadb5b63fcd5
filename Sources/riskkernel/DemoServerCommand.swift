import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelGateway

struct DemoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-server",
        abstract: "A small MCP server on stdio with file and messaging tools in one folder (used by `demo` and tests).",
        discussion: """
            Tools: list_files (read-only), read_file (read-only), write_file, delete_file (destructive), send_message (appends to outbox.jsonl in the folder). Paths are confined to the folder.
            """)

    @Option(help: ArgumentHelp("The folder to work in (default: a new temporary folder).", valueName: "dir"))
    var root: String?

    func run() async throws {
        let folder = root ?? FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let server = DemoServer(root: URL(fileURLWithPath: folder))
        let output = LineWriter(fileDescriptor: STDOUT_FILENO)
        for await event in LineReader.lines(from: STDIN_FILENO, maxLineBytes: 16 * 1024 * 1024) {
            guard case .line(let bytes) = event, let reply = server.handle(bytes) else { continue }
            output.writeLine(reply)
        }
    }
}

/// The demo server's protocol handling: pure apart from the files in its folder.
struct DemoServer {
    let root: URL

    static let tools: [JSONValue] = [
        tool("list_files", "List the files in the workspace.", [:], required: [], readOnly: true),
        tool("read_file", "Read a text file from the workspace.", ["path": ["type": "string"]], required: ["path"], readOnly: true),
        tool("write_file", "Write a text file in the workspace.", ["path": ["type": "string"], "content": ["type": "string"]],
             required: ["path", "content"], readOnly: false),
        tool("delete_file", "Delete a file from the workspace.", ["path": ["type": "string"]], required: ["path"], readOnly: false,
             destructive: true),
        tool("send_message", "Send a message to a person (appended to the outbox).",
             ["to": ["type": "string"], "text": ["type": "string"]], required: ["to", "text"], readOnly: false),
    ]

    static func tool(_ name: String, _ description: String, _ properties: [String: JSONValue], required: [String], readOnly: Bool, destructive: Bool = false) -> JSONValue {
        [
            "name": .string(name), "description": .string(description),
            "inputSchema": ["type": "object", "properties": .object(properties), "required": .array(required.map(JSONValue.string))],
            "annotations": ["readOnlyHint": .bool(readOnly), "destructiveHint": .bool(destructive)],
        ]
    }

    func handle(_ line: [UInt8]) -> [UInt8]? {
        guard case .success((.request(let id, let method, let params), _)) = JSONRPC.classify(line) else { return nil }
        switch method {
        case "initialize":
            return JSONRPC.resultResponse(id: id, result: [
                "protocolVersion": params?["protocolVersion"] ?? "2025-06-18",
                "capabilities": ["tools": ["listChanged": false]],
                "serverInfo": ["name": "riskkernel-demo-server", "version": .string(RiskKernelVersion.current)],
            ])
        case "ping":
            return JSONRPC.resultResponse(id: id, result: [:])
        case "tools/list":
            return JSONRPC.resultResponse(id: id, result: ["tools": .array(Self.tools)])
        case "tools/call":
            let name = params?["name"]?.stringValue ?? ""
            let arguments = params?["arguments"] ?? [:]
            do {
                return JSONRPC.resultResponse(id: id, result: ["content": [["type": "text", "text": .string(try call(name, arguments))]]])
            } catch {
                return JSONRPC.resultResponse(id: id, result: ["content": [["type": "text", "text": .string("\(error)")]], "isError": true])
            }
        default:
            return JSONRPC.errorResponse(id: id, code: JSONRPCErrorCode.methodNotFound, message: "Method not found: \(method)")
        }
    }

    struct ToolError: Error, CustomStringConvertible {
        var description: String
    }

    func call(_ name: String, _ arguments: JSONValue) throws -> String {
        let files = FileManager.default
        switch name {
        case "list_files":
            let names = try files.contentsOfDirectory(atPath: root.path).sorted()
            return names.isEmpty ? "(no files)" : names.joined(separator: "\n")
        case "read_file":
            return try String(contentsOf: try path(arguments), encoding: .utf8)
        case "write_file":
            let content = arguments["content"]?.stringValue ?? ""
            try content.write(to: try path(arguments), atomically: true, encoding: .utf8)
            return "wrote \(content.utf8.count) bytes"
        case "delete_file":
            try files.removeItem(at: try path(arguments))
            return "deleted"
        case "send_message":
            guard let to = arguments["to"]?.stringValue, let text = arguments["text"]?.stringValue else {
                throw ToolError(description: "send_message needs to and text")
            }
            let outbox = root.appendingPathComponent("outbox.jsonl")
            var line = CanonicalJSON.encode(["to": .string(to), "text": .string(text)])
            line.append(0x0A)
            if let handle = try? FileHandle(forWritingTo: outbox) {
                handle.seekToEndOfFile()
                handle.write(Data(line))
                try handle.close()
            } else {
                try Data(line).write(to: outbox)
            }
            return "message sent to \(to)"
        default:
            throw ToolError(description: "unknown tool \(name)")
        }
    }

    func path(_ arguments: JSONValue) throws -> URL {
        guard let relative = arguments["path"]?.stringValue, !relative.isEmpty, !relative.contains("/"), relative != "..", relative != "." else {
            throw ToolError(description: "path must be a file name inside the workspace")
        }
        return root.appendingPathComponent(relative)
    }
}

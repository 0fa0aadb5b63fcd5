import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// The built `riskkernel` executable: `$RISKKERNEL_BIN`, else `.build/debug/riskkernel` in this checkout.
enum Binary {
    static let path: String = {
        if let path = ProcessInfo.processInfo.environment["RISKKERNEL_BIN"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/riskkernel").path
    }()

    /// Fails the test with a clear message when the binary has not been built.
    static func require() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            Issue.record("the riskkernel binary is missing at \(path): run `swift build` before `swift test` (scripts/test does)")
            throw MissingBinary()
        }
        return path
    }

    struct MissingBinary: Error {}

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        var json: JSONValue? { try? JSONParser.parse(stdout) }
    }

    /// Runs `riskkernel ARGS` to completion on a thread of its own, so that a test waiting for a
    /// command never holds one of the few threads that every test's async work shares.
    ///
    /// `directory` is the working directory (default: this process's); `executable` another copy of
    /// the binary; a command still running after `timeout` seconds is killed (status SIGKILL, 9).
    static func run(
        _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], directory: String? = nil,
        executable: String? = nil, timeout: Double? = nil
    ) async throws -> Result {
        let executable = try executable ?? require()
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Swift.Result {
                    try runBlocking(executable, arguments, stdin: stdin, environment: environment, directory: directory, timeout: timeout)
                })
            }.start()
        }
    }

    private static func runBlocking(
        _ executable: String, _ arguments: [String], stdin: String?, environment: [String: String], directory: String?, timeout: Double?
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env["RISKKERNEL_DB"] = nil
        env["RISKKERNEL_DATABASE_URL"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        let exited = Locked(false)
        if let timeout {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if !exited.value { kill(pid, SIGKILL) }
            }
        }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up.
        let errorData = Locked(Data())
        let reader = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        exited.set(true)
        while !errorData.isSet { usleep(1000) }
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorData.value, as: UTF8.self))
    }
}

/// The real Python interpreter (not a version manager's shim, which would add variables of its own
/// to a child's environment).
enum Python {
    static let executable: String = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        let output = Pipe()
        process.standardOutput = output
        guard (try? process.run()) != nil else { return "python3" }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? "python3" : path
    }()
}

final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    private var assigned = false

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }
    var isSet: Bool { lock.withLock { assigned } }

    func set(_ value: Value) {
        lock.withLock {
            stored = value
            assigned = true
        }
    }
}

/// A folder with a database, a workspace for the demo server and helpers to start gateways on them.
struct Sandbox {
    let root: String
    var database: String { root + "/riskkernel.sqlite" }
    var workspace: String { root + "/workspace" }

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-cli-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: root + "/workspace", withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = root + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func cli(_ arguments: [String], stdin: String? = nil) async throws -> Binary.Result {
        try await Binary.run(arguments + ["--db", database], stdin: stdin)
    }

    /// Starts `riskkernel gateway` on this sandbox's database in front of `riskkernel demo-server`.
    func gateway(_ options: [String] = [], upstream: [String]? = nil) async throws -> StdioClient {
        let binary = try Binary.require()
        let upstreamCommand = upstream ?? [binary, "demo-server", "--root", workspace]
        let client = try StdioClient(
            executable: binary, arguments: ["gateway", "--db", database, "--log-level", "error"] + options + ["--"] + upstreamCommand)
        return client
    }
}

extension StdioClient {
    /// `initialize` plus `notifications/initialized`.
    func handshake() async -> JSONValue {
        let response = await request("initialize", [
            "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "riskkernel-tests", "version": "1"],
        ])
        notify("notifications/initialized")
        return response
    }

    func callTool(_ name: String, _ arguments: JSONValue = [:]) async -> JSONValue {
        await request("tools/call", ["name": .string(name), "arguments": arguments])
    }
}

extension JSONValue {
    /// The text of a tool result's content.
    var toolText: String {
        self["result"]?["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.joined(separator: "\n") ?? ""
    }

    var isToolError: Bool { self["result"]?["isError"]?.boolValue == true }
}

let demoPolicy = """
    apiVersion: riskkernel/v1
    kind: Policy
    metadata: {name: demo}
    spec:
      toolAllowlist: [list_files, read_file, write_file, send_message]
      approvalRules:
        - tool: send_message
      sideEffects:
        send_message: messaging.send
    """

import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelGateway
import RiskKernelStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a scripted agent through the gateway against the built-in demo server and show what RiskKernel does.",
        discussion: "Everything happens in a new temporary folder (database included) unless --dir is given.")

    @Option(help: ArgumentHelp("Work in this folder instead of a temporary one.", valueName: "dir")) var dir: String?

    static let policy = """
        apiVersion: riskkernel/v1
        kind: Policy
        metadata:
          name: demo
          description: The demo's policy. Files may be listed, read and written; messages need a person; nothing may be deleted.
        spec:
          budget:
            dollars: "0.05"
          toolAllowlist: [list_files, read_file, write_file, send_message]
          approvalRules:
            - tool: send_message
              description: a person approves every message that leaves the workspace
          sideEffects:
            send_message: messaging.send
        """

    func run() async throws {
        let folder = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-demo-\(UUID().uuidString.prefix(8))").path
        let workspace = folder + "/workspace"
        let database = folder + "/riskkernel.sqlite"
        let policyFile = folder + "/demo-policy.yaml"
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        try Self.policy.write(toFile: policyFile, atomically: true, encoding: .utf8)
        try "RiskKernel demo notes\n".write(toFile: workspace + "/notes.txt", atomically: true, encoding: .utf8)
        let executable = Self.ownExecutable()

        Demo.heading("RiskKernel demo")
        print("folder:   \(folder)")
        print("policy:   \(policyFile) (list/read/write allowed, send_message needs approval, delete_file not allowed, $0.05 budget)")
        print("gateway:  riskkernel gateway --db \(database) --policy-file \(policyFile) -- riskkernel demo-server --root \(workspace)")

        var environment = ProcessInfo.processInfo.environment
        environment["RISKKERNEL_LOG_LEVEL"] = environment["RISKKERNEL_LOG_LEVEL"] ?? "error"
        let agent = try StdioClient(
            executable: executable,
            arguments: ["gateway", "--db", database, "--policy-file", policyFile, "--run-name", "demo", "--metadata", "team=demo",
                        "--", executable, "demo-server", "--root", workspace],
            environment: environment)
        let approvals = AsyncStream.makeStream(of: String.self)
        await agent.start(
            onNotification: { message in
                if message["method"]?.stringValue == "notifications/message", let id = message["params"]?["data"]?["approvalId"]?.stringValue {
                    approvals.continuation.yield(id)
                }
            },
            // A gateway that exits (it could not start, its upstream died) ends the wait for an approval.
            onClose: { approvals.continuation.finish() })
        // Every step below stops the demo with the gateway's status once the gateway has gone.
        func alive(_ response: JSONValue) async throws -> JSONValue {
            guard await agent.isClosed else { return response }
            let status = await agent.close()
            throw CLIError("the gateway exited with status \(status) before the demo finished (its error is above)")
        }

        Demo.heading("1. initialize and list tools")
        let initialized = try await alive(await agent.request("initialize", [
            "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "riskkernel-demo-agent", "version": "1"],
        ]))
        print("server: \(initialized["result"]?["serverInfo"]?["name"]?.stringValue ?? "?")")
        await agent.notify("notifications/initialized")
        let tools = try await alive(await agent.request("tools/list"))
        let names = tools["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        print("tools the policy lets the agent see: \(names.joined(separator: ", "))  (delete_file is hidden)")

        Demo.heading("2. an allowed call: list_files")
        Demo.show(try await alive(await agent.request("tools/call", ["name": "list_files", "arguments": [:]])))

        Demo.heading("3. a refused call: delete_file (not on the allowlist)")
        Demo.show(try await alive(await agent.request("tools/call", ["name": "delete_file", "arguments": ["path": "notes.txt"]])))

        Demo.heading("4. a held call: send_message waits for a person")
        async let held = agent.request("tools/call", ["name": "send_message", "arguments": ["to": "ops@example.com", "text": "deploy finished"]])
        // Nothing announced within a minute is a failure too, never a wait without end.
        let deadline = Task {
            try await Task.sleep(for: .seconds(60))
            approvals.continuation.finish()
        }
        defer { deadline.cancel() }
        var iterator = approvals.stream.makeAsyncIterator()
        guard let approvalId = await iterator.next() else {
            _ = try await alive([:])
            throw CLIError("the gateway announced no approval for send_message within 60 seconds")
        }
        print("the gateway announced approval \(approvalId); a second process approves it:")
        print("$ riskkernel approvals approve \(approvalId) --db \(database) --by demo-operator")
        let approve = try Demo.runSelf(executable, ["approvals", "approve", approvalId, "--db", database, "--by", "demo-operator"])
        print(approve.trimmingCharacters(in: .newlines))
        Demo.show(try await alive(await held))

        Demo.heading("5. model calls against the $0.05 budget")
        for step in 1...3 {
            let response = try await alive(await agent.request("riskkernel/recordModelCall", [
                "provider": "openai", "model": "gpt-4o-2024-08-06", "promptTokens": 6000, "completionTokens": 800,
                "responseId": .string("resp_demo_\(step)"),
            ]))
            let result = response["result"] ?? [:]
            print("step \(step): gpt-4o 6000+800 tokens -> $\(result["dollars"]?.stringValue ?? "?"), total $\(result["usage"]?["dollars"]?.stringValue ?? "?"), halted: \(result["halted"]?.boolValue ?? false)\(result["haltReason"]?.stringValue.map { " (\($0))" } ?? "")")
            if result["halted"]?.boolValue == true { break }
        }
        print("\nafter the halt, even an allowed call is refused:")
        Demo.show(try await alive(await agent.request("tools/call", ["name": "read_file", "arguments": ["path": "notes.txt"]])))

        let status = await agent.close()
        print("\ngateway exited with status \(status)")
        guard status == 0 else { throw CLIError("the gateway exited with status \(status) (its error is above)") }

        Demo.heading("6. usage by model")
        print(try Demo.runSelf(executable, ["usage", "--by", "model", "--db", database]))
        Demo.heading("7. runs and the audit trail")
        print(try Demo.runSelf(executable, ["runs", "list", "--db", database]))
        let runId = try await SQLiteStore(path: database).listRuns(status: nil, limit: 1).first?.id ?? "?"
        print("$ riskkernel audit export --run \(runId) --db \(database)")
        print(try Demo.runSelf(executable, ["audit", "export", "--run", runId, "--db", database]))
        print("Explore further: riskkernel runs show \(runId) --db \(database)")
    }

    static func ownExecutable() -> String {
        let path = CommandLine.arguments[0]
        if path.contains("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return Bundle.main.executablePath ?? path
    }
}

enum Demo {
    static func heading(_ text: String) {
        print("\n== \(text) ==")
    }

    /// Prints a tool call's response the way a model would see it.
    static func show(_ response: JSONValue) {
        if let error = response["error"] {
            print("JSON-RPC error \(error["code"].map(CanonicalJSON.string) ?? "?"): \(error["message"]?.stringValue ?? "")")
            return
        }
        let result = response["result"] ?? [:]
        let text = result["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.joined(separator: "\n") ?? ""
        print((result["isError"]?.boolValue == true ? "isError: " : "result: ") + text)
    }

    /// Runs this executable with `arguments` and returns its standard output; a non-zero exit
    /// status is an error (the child's own message is on stderr, which it shares).
    static func runSelf(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("`riskkernel \(arguments.prefix(2).joined(separator: " "))` exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

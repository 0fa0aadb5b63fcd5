import Foundation

/// A Python 3 with `jsonschema`, for the tests that check `Protocol/*.schema.json` against real
/// documents: the repository's .venv, else a python3 on PATH or in the usual places that has it.
public enum JSONSchemaPython {
    /// The repository's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The interpreter, or `nil` when none has `jsonschema`.
    public static let executable: String? = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        let candidates = [root.appendingPathComponent(".venv/bin/python3").path] + path + ["/usr/bin/python3", "/usr/local/bin/python3"]
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path) && (try? run(path, ["-c", "import jsonschema"], input: Data()).status) == 0
        }
    }()

    /// Runs `executable` with `input` on its stdin; returns its status and its stdout and stderr together.
    public static func run(_ executable: String, _ arguments: [String], input: Data) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

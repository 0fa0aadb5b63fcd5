import ArgumentParser
import Foundation
import RiskKernelCore

extension MCPClient: ExpressibleByArgument {}

/// The options `wrap` and `unwrap` share: which client, which file, which servers, whether to write.
struct ClientConfigOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The MCP client whose configuration to change.", valueName: "client"))
    var client: MCPClient

    @Option(help: ArgumentHelp("Change this file instead of the client's own (found on macOS, Linux and Windows).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("server"), help: ArgumentHelp("Only this server entry (repeatable; default: every entry).", valueName: "name"))
    var servers: [String] = []

    @Flag(help: "Print the change as a diff and write nothing.")
    var dryRun = false

    /// The files to change, with their formats: `--config`, else each of the client's files that exists.
    func files() throws -> [(path: String, format: ClientConfigFormat)] {
        if let config {
            guard FileManager.default.fileExists(atPath: config) else { throw CLIError("\(config): no such file") }
            return [(config, client.format(ofFile: config))]
        }
        let candidates = ClientConfigFiles.candidates(for: client)
        let existing = candidates.filter { FileManager.default.fileExists(atPath: $0) }
        guard !existing.isEmpty else {
            throw CLIError("found no \(client.displayName) configuration (looked at \(candidates.joined(separator: ", "))); give its file with --config FILE")
        }
        return existing.map { ($0, client.format(ofFile: $0)) }
    }
}

/// The client configuration files of this machine.
enum ClientConfigFiles {
    /// Where `client` keeps its configuration here (existing or not), for this platform, user and directory.
    static func candidates(for client: MCPClient) -> [String] {
        #if os(macOS)
        let platform = ClientConfigLocations.Platform.macOS
        #elseif os(Windows)
        let platform = ClientConfigLocations.Platform.windows
        #else
        let platform = ClientConfigLocations.Platform.linux
        #endif
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.homeDirectoryForCurrentUser.path
        return ClientConfigLocations.candidates(
            for: client, platform: platform, environment: environment, home: home,
            workingDirectory: FileManager.default.currentDirectoryPath)
    }

    /// `path` with the home directory written `~`, for messages.
    static func display(_ path: String) -> String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        if !home.isEmpty, path.hasPrefix(home + "/") { return "~" + path.dropFirst(home.count) }
        return path
    }
}

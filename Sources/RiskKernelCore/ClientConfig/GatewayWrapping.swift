/// What `riskkernel wrap` puts in front of a server: the gateway's command and the options it
/// runs with (issue 21: the binary's absolute path, `--server-name` set to the entry's name, the
/// policy and store options, `--env NAME` for each variable of the entry's `env`, then `--` and the
/// server's own command and arguments).
public struct GatewayWrapping: Sendable, Equatable {
    /// The absolute path of the `riskkernel` binary the client will start.
    public var executable: String
    /// `--policy NAME`, if given.
    public var policy: String?
    /// `--db PATH` (absolute), if given.
    public var db: String?
    /// `--database-url URL`, if given.
    public var databaseURL: String?

    public init(executable: String, policy: String? = nil, db: String? = nil, databaseURL: String? = nil) {
        self.executable = executable
        self.policy = policy
        self.db = db
        self.databaseURL = databaseURL
    }

    /// The gateway's arguments up to and including `--`, for the entry `serverName` whose `env`
    /// has `environmentNames` (`RISKKERNEL_*` names configure the gateway itself and are not passed
    /// on) and whose `envFile`, if any, is `envFile` (VS Code; passed on as `--env-file`).
    public func gatewayArguments(serverName: String, environmentNames: [String], envFile: String?) -> [String] {
        var arguments = ["gateway", "--server-name", serverName]
        if let policy { arguments += ["--policy", policy] }
        if let db { arguments += ["--db", db] }
        if let databaseURL { arguments += ["--database-url", databaseURL] }
        for name in environmentNames where !name.hasPrefix("RISKKERNEL_") { arguments += ["--env", name] }
        if let envFile { arguments += ["--env-file", envFile] }
        return arguments + ["--"]
    }
}

/// A server entry that runs through the gateway, read back from its command and arguments.
public struct WrappedServer: Sendable, Equatable {
    /// The gateway binary the entry starts.
    public var executable: String
    /// The gateway's options, between `gateway` and `--`.
    public var gatewayOptions: [String]
    /// The server's own command and arguments, after `--`.
    public var upstream: [String]

    /// Recognises a wrapped entry: its command is a `riskkernel` binary (any directory, `.exe` on
    /// Windows) and its arguments start with `gateway` and contain `--` followed by a command.
    /// Nil for any other entry.
    public init?(command: String, arguments: [String]) {
        let base = command.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map { String($0).lowercased() } ?? ""
        guard base == "riskkernel" || base == "riskkernel.exe", arguments.first == "gateway",
              let separator = arguments.firstIndex(of: "--"), separator + 1 < arguments.count
        else { return nil }
        executable = command
        gatewayOptions = Array(arguments[1..<separator])
        upstream = Array(arguments[(separator + 1)...])
    }

    /// The values of a gateway option (`--env` gives each NAME), in order.
    public func values(of option: String) -> [String] {
        var values: [String] = []
        var index = gatewayOptions.startIndex
        while index < gatewayOptions.endIndex {
            let argument = gatewayOptions[index]
            if argument == option, index + 1 < gatewayOptions.endIndex {
                values.append(gatewayOptions[index + 1])
                index += 2
                continue
            }
            if argument.hasPrefix(option + "=") { values.append(String(argument.dropFirst(option.count + 1))) }
            index += 1
        }
        return values
    }
}

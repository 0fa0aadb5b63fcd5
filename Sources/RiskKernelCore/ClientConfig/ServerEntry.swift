/// One server of a client configuration, as `wrap`, `unwrap` and `doctor` see it.
public struct ServerEntry: Sendable {
    /// What kind of entry it is.
    public enum Kind: Sendable, Equatable {
        /// Started by the client as a command on stdio: `wrap` puts the gateway in front.
        case stdio
        /// Already runs through the gateway.
        case wrapped(WrappedServer)
        /// Reached over the network (`url`, `serverUrl`, or a `type` such as `http` or `sse`): left alone.
        case remote(String)
        /// Not a server entry `wrap` understands (no `command`, a malformed `args`): left alone.
        case unrecognised(String)
    }

    /// The entry's key.
    public var name: String
    /// Where the entry's map is in the file (`mcpServers`, `projects["/repo"].mcpServers`, `servers`).
    public var location: String
    /// The entry's object.
    public var node: JSONText.Node
    /// What kind of entry it is.
    public var kind: Kind

    /// The names in the entry's `env` object, in file order.
    public var environmentNames: [String] { node["env"]?.members.map(\.key) ?? [] }

    /// Every entry of every server map of `document`, in file order.
    public static func all(in document: JSONText, format: ClientConfigFormat) -> [ServerEntry] {
        format.serverMaps(in: document).flatMap { location, map in
            map.members.map { member in
                ServerEntry(name: member.key, location: location, node: member.value, kind: classify(member.value))
            }
        }
    }

    /// The kind of the entry `node`.
    public static func classify(_ node: JSONText.Node) -> Kind {
        guard node.isObject else { return .unrecognised("not an object") }
        let remoteTypes: Set<String> = ["http", "sse", "streamable-http", "streamablehttp", "ws", "websocket"]
        if let type = node["type"]?.string, remoteTypes.contains(type.lowercased()) { return .remote("type \(type)") }
        if node["url"] != nil { return .remote("url") }
        if node["serverUrl"] != nil { return .remote("serverUrl") }
        if let type = node["type"]?.string, type != "stdio" { return .unrecognised("type \(type)") }
        guard let command = node["command"]?.string else { return .unrecognised("no command") }
        let arguments: [String]
        if let args = node["args"] {
            guard args.isArray else { return .unrecognised("args is not a list") }
            let strings = args.elements.compactMap(\.string)
            guard strings.count == args.elements.count else { return .unrecognised("args has a value that is not a string") }
            arguments = strings
        } else {
            arguments = []
        }
        if let wrapped = WrappedServer(command: command, arguments: arguments) { return .wrapped(wrapped) }
        return .stdio
    }
}

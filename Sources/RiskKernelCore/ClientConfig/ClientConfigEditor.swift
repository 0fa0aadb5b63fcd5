/// Rewrites a client configuration's server entries to run through the gateway, and back.
///
/// Only the `command` and `args` values of the entries it changes are replaced (an `args` member
/// is added after `command` when there was none); every other byte of the file stays as it was.
/// The new `args` array is laid out like the old one (one line, or one element per line at the
/// same indent), and the original command and arguments are copied into it verbatim, so that
/// `unwrap` writes back exactly the text `wrap` replaced.
public enum ClientConfigEditor {
    /// What happened to one entry.
    public enum Outcome: Sendable, Equatable {
        /// Now starts the gateway.
        case wrapped
        /// Started the gateway already; not changed.
        case alreadyWrapped
        /// Starts its own command again.
        case unwrapped
        /// Did not start the gateway; not changed by `unwrap`.
        case notWrapped
        /// Reached over the network (the reason: `url`, `type http`); left alone.
        case remote(String)
        /// Not a stdio server entry (the reason); left alone.
        case unrecognised(String)
    }

    /// One entry's outcome.
    public struct EntryReport: Sendable, Equatable {
        /// Where the entry's map is (``ServerEntry/location``).
        public var location: String
        /// The entry's key.
        public var name: String
        public var outcome: Outcome
    }

    /// The document before and after, and what happened to each entry considered.
    public struct Change: Sendable {
        /// The document as it was given.
        public var original: String
        /// The document with the change made (equal to `original` when nothing changed).
        public var updated: String
        /// Each entry considered, in file order.
        public var entries: [EntryReport]
        /// Whether there is anything to write.
        public var changed: Bool { original != updated }
    }

    /// Wraps every stdio entry of `text` (only those named in `only`, when given) that is not
    /// wrapped already. Throws ``JSONParseError`` when `text` is not JSON (or JSONC).
    public static func wrap(_ text: String, format: ClientConfigFormat, wrapping: GatewayWrapping, only: Set<String>? = nil) throws -> Change {
        try rewrite(text, format: format, only: only) { entry, document in
            switch entry.kind {
            case .stdio: (wrapEdits(entry, document: document, wrapping: wrapping), .wrapped)
            case .wrapped: ([], .alreadyWrapped)
            case .remote(let why): ([], .remote(why))
            case .unrecognised(let why): ([], .unrecognised(why))
            }
        }
    }

    /// Puts every wrapped entry of `text` (only those named in `only`, when given) back to the
    /// command and arguments after its `--`; other entries are not touched.
    public static func unwrap(_ text: String, format: ClientConfigFormat, only: Set<String>? = nil) throws -> Change {
        try rewrite(text, format: format, only: only) { entry, document in
            switch entry.kind {
            case .wrapped: (unwrapEdits(entry, document: document), .unwrapped)
            case .stdio: ([], .notWrapped)
            case .remote(let why): ([], .remote(why))
            case .unrecognised(let why): ([], .unrecognised(why))
            }
        }
    }

    /// Applies `change` to each server entry of `text` (only those named in `only`, when given):
    /// its edits are made together, and each entry's outcome is reported in file order.
    private static func rewrite(
        _ text: String, format: ClientConfigFormat, only: Set<String>?,
        _ change: (ServerEntry, JSONText) -> (edits: [JSONTextEdit], outcome: Outcome)
    ) throws -> Change {
        let document = try JSONText(text)
        var edits: [JSONTextEdit] = []
        var reports: [EntryReport] = []
        for entry in ServerEntry.all(in: document, format: format) where only?.contains(entry.name) ?? true {
            let (entryEdits, outcome) = change(entry, document)
            edits += entryEdits
            reports.append(EntryReport(location: entry.location, name: entry.name, outcome: outcome))
        }
        return Change(original: text, updated: JSONTextEdit.apply(edits, to: document.bytes), entries: reports)
    }

    static func quoted(_ string: String) -> String { CanonicalJSON.string(.string(string)) }

    static func wrapEdits(_ entry: ServerEntry, document: JSONText, wrapping: GatewayWrapping) -> [JSONTextEdit] {
        guard let command = entry.node.member("command") else { return [] }
        let prefix = wrapping.gatewayArguments(
            serverName: entry.name, environmentNames: entry.environmentNames, envFile: entry.node["envFile"]?.string)
        let args = entry.node["args"]
        let elements = prefix.map(quoted) + [document.text(command.value.range)] + (args?.elements.map { document.text($0.range) } ?? [])
        var edits = [JSONTextEdit(range: command.value.range, replacement: quoted(wrapping.executable))]
        if let args {
            edits.append(JSONTextEdit(range: args.range, replacement: JSONLayout.of(args, in: document).array(elements)))
        } else {
            var colon = document.text(command.keyRange.upperBound..<command.value.range.lowerBound)
            if colon.contains("/") { colon = ": " }
            let separator = JSONLayout.of(entry.node, in: document).separator
            let member = "," + separator + quoted("args") + colon + JSONLayout.inline.array(elements)
            let end = command.value.range.upperBound
            edits.append(JSONTextEdit(range: end..<end, replacement: member))
        }
        return edits
    }

    static func unwrapEdits(_ entry: ServerEntry, document: JSONText) -> [JSONTextEdit] {
        guard let command = entry.node.member("command"), let args = entry.node["args"],
              let separator = args.elements.firstIndex(where: { $0.string == "--" }), separator + 1 < args.elements.count
        else { return [] }
        let upstream = args.elements[(separator + 1)...].map { document.text($0.range) }
        return [
            JSONTextEdit(range: command.value.range, replacement: upstream[0]),
            JSONTextEdit(range: args.range, replacement: JSONLayout.of(args, in: document).array(Array(upstream.dropFirst()))),
        ]
    }
}

import Foundation

/// Indented JSON with sorted keys, for people and scripts alike; numbers as they were written
/// (stored arguments, results and payloads print exactly as the agent or server sent them).
public enum PrettyJSON {
    public static func string(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .array(let elements) where !elements.isEmpty:
            return "[\n" + elements.map { inner + string($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members) where !members.isEmpty:
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return "{\n" + keys.map { inner + CanonicalJSON.string(.string($0)) + ": " + string(members[$0]!, indent: inner) }
                .joined(separator: ",\n") + "\n\(indent)}"
        default:
            return CanonicalJSON.string(value, numbers: .asWritten)
        }
    }
}

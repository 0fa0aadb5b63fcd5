import Foundation

/// The `key1=value1,key2=value2` lists of `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`.
///
/// Entries are separated by commas; each is split at its first `=`; keys and values are trimmed of
/// surrounding white space and then percent-decoded (`%2C` is a comma, `+` stays a plus). Empty
/// entries (a trailing comma) are skipped.
enum KeyValueList {
    /// The pairs of `text` in order, or `nil` when an entry is malformed (no `=`, an empty key, or a
    /// bad percent escape): then the whole list is to be ignored, as swift-otel does, rather than
    /// applied in part.
    static func parse(_ text: String) -> [(key: String, value: String)]? {
        var pairs: [(key: String, value: String)] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            if entry.allSatisfy(\.isWhitespace) { continue }
            guard let equals = entry.firstIndex(of: "=") else { return nil }
            let rawKey = entry[..<equals].trimmingCharacters(in: .whitespaces)
            let rawValue = entry[entry.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !rawKey.isEmpty,
                  let key = rawKey.removingPercentEncoding, !key.isEmpty,
                  let value = rawValue.removingPercentEncoding
            else { return nil }
            pairs.append((key, value))
        }
        return pairs
    }
}

/// Resolves `.` and `..` in file-system paths given as tool arguments, so that rules judge where a
/// path leads rather than how it is spelled (`/srv/data/../../etc/passwd` is `/etc/passwd`).
///
/// Purely textual: it never looks at a file system, so symbolic links are not followed.
public enum PathNormalizer {
    /// Whether `text` is treated as a path: it is `.`, `..` or `~`, or starts with `/`, `./`, `../`
    /// or `~`. Other strings (`data/x`, URLs) are compared as written.
    public static func isPath(_ text: String) -> Bool {
        text == "." || text == ".." || text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~")
    }

    /// `text` with `.` segments and repeated or trailing slashes removed and each `..` resolved
    /// against the segment before it, when ``isPath(_:)``; any other text unchanged.
    ///
    /// - Absolute: `..` above the root stays at the root (`/../etc` is `/etc`).
    /// - Home (`~`, `~/…`, `~user/…`): the first segment is kept; a `..` that would climb above it
    ///   is kept too, since where it leads is unknown (`~/a/../b` is `~/b`, `~/../x` stays).
    /// - Relative: leading `..` segments that cannot be resolved are kept (`./a/../../b` is `../b`);
    ///   a leading `./` is kept unless the result starts with `..`; a path that resolves to
    ///   nothing is `.`.
    public static func normalize(_ text: String) -> String {
        guard isPath(text) else { return text }
        let segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if text.hasPrefix("/") {
            var resolved: [String] = []
            for segment in segments {
                switch segment {
                case ".": continue
                case "..": _ = resolved.popLast()
                default: resolved.append(segment)
                }
            }
            return "/" + resolved.joined(separator: "/")
        }
        if text.hasPrefix("~") {
            let home = segments[0]
            return ([home] + resolve(Array(segments.dropFirst()))).joined(separator: "/")
        }
        let resolved = resolve(segments)
        if resolved.isEmpty { return "." }
        if resolved[0] == ".." || !text.hasPrefix("./") { return resolved.joined(separator: "/") }
        return "./" + resolved.joined(separator: "/")
    }

    /// Relative segments with `.` dropped and `..` resolved; `..`s that climb above the start stay.
    private static func resolve(_ segments: [String]) -> [String] {
        var resolved: [String] = []
        for segment in segments {
            switch segment {
            case ".": continue
            case "..":
                if let last = resolved.last, last != ".." { resolved.removeLast() } else { resolved.append("..") }
            default: resolved.append(segment)
            }
        }
        return resolved
    }
}

import Foundation
import RiskKernelCore
import RiskKernelStore

/// Reading `git diff --numstat` output: one line per file, `ADDED<TAB>REMOVED<TAB>PATH`.
public enum GitNumstat {
    /// One file's change. Binary files (shown as `-`) count zero lines.
    public struct FileChange: Sendable, Hashable {
        public var path: String
        public var added: Int64
        public var removed: Int64
    }

    /// Parses numstat text; renames (`old => new`, `dir/{old => new}`) are attributed to the new path.
    public static func parse(_ text: String) -> [FileChange] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            return FileChange(path: newPath(String(fields[2])), added: Int64(fields[0]) ?? 0, removed: Int64(fields[1]) ?? 0)
        }
    }

    static func newPath(_ path: String) -> String {
        guard path.contains(" => ") else { return path }
        if let open = path.firstIndex(of: "{"), let close = path.firstIndex(of: "}"), open < close {
            let inner = path[path.index(after: open)..<close]
            let replacement = inner.components(separatedBy: " => ").last ?? ""
            let joined = String(path[..<open]) + replacement + String(path[path.index(after: close)...])
            return joined.replacingOccurrences(of: "//", with: "/")
        }
        return path.components(separatedBy: " => ").last ?? path
    }
}

/// Totals of a run's attributions by author and by file.
public struct AttributionReport: Sendable, Hashable {
    public struct Total: Sendable, Hashable {
        public var key: String
        public var authorType: String?
        public var files: Int
        public var linesAdded: Int64
        public var linesRemoved: Int64
        public var tokens: Int64

        public var json: JSONValue {
            var members: [String: JSONValue] = [
                "key": .string(key), "files": .integer(Int64(files)), "linesAdded": .integer(linesAdded),
                "linesRemoved": .integer(linesRemoved), "tokens": .integer(tokens),
            ]
            if let authorType { members["authorType"] = .string(authorType) }
            return .object(members)
        }
    }

    public var byAuthor: [Total]
    public var byFile: [Total]
    public var total: Total

    /// Sums the latest capture of each (author, file): a file captured twice is counted once, as last
    /// measured. Tokens are the run's tokens at the latest capture in the group (a capture records the
    /// run's spend so far, so it is a level, not an amount to add up).
    public init(_ records: [AttributionRecord]) {
        var latest: [String: AttributionRecord] = [:]
        for record in records.sorted(by: { $0.createdAt < $1.createdAt }) { latest["\(record.author)\u{0}\(record.file)"] = record }
        let kept = latest.values.sorted { ($0.author, $0.file) < ($1.author, $1.file) }
        func total(_ key: String, _ group: [AttributionRecord], type: String?) -> Total {
            Total(
                key: key, authorType: type, files: Set(group.map(\.file)).count, linesAdded: group.reduce(0) { $0 + $1.linesAdded },
                linesRemoved: group.reduce(0) { $0 + $1.linesRemoved }, tokens: group.map(\.tokens).max() ?? 0)
        }
        byAuthor = Dictionary(grouping: kept, by: \.author).map { total($0.key, $0.value, type: $0.value.first?.authorType.rawValue) }
            .sorted { $0.linesAdded + $0.linesRemoved > $1.linesAdded + $1.linesRemoved || ($0.linesAdded + $0.linesRemoved == $1.linesAdded + $1.linesRemoved && $0.key < $1.key) }
        byFile = Dictionary(grouping: kept, by: \.file).map { total($0.key, $0.value, type: nil) }.sorted { $0.key < $1.key }
        self.total = total("total", kept, type: nil)
    }

    public var json: JSONValue {
        ["byAuthor": .array(byAuthor.map(\.json)), "byFile": .array(byFile.map(\.json)), "total": total.json]
    }
}

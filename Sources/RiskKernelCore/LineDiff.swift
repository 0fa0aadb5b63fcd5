/// A line-by-line difference of two texts (longest common subsequence), for people to read.
public enum LineDiff {
    /// One line of a diff.
    public enum Line: Sendable, Hashable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// The lines of `old` and `new`, each marked as kept, removed or added, in order.
    public static func diff(_ old: [String], _ new: [String]) -> [Line] {
        let rows = old.count, columns = new.count
        // common[i][j]: the length of the longest common subsequence of old[i...] and new[j...].
        var common = [[Int]](repeating: [Int](repeating: 0, count: columns + 1), count: rows + 1)
        for i in stride(from: rows - 1, through: 0, by: -1) {
            for j in stride(from: columns - 1, through: 0, by: -1) {
                common[i][j] = old[i] == new[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var lines: [Line] = []
        var i = 0, j = 0
        while i < rows || j < columns {
            if i < rows, j < columns, old[i] == new[j] {
                lines.append(.same(old[i]))
                i += 1
                j += 1
            } else if i < rows, j == columns || common[i + 1][j] >= common[i][j + 1] {
                lines.append(.removed(old[i]))
                i += 1
            } else {
                lines.append(.added(new[j]))
                j += 1
            }
        }
        return lines
    }

    /// The diff as text: `-` before a removed line, `+` before an added one, two spaces before a kept one.
    public static func render(_ lines: [Line]) -> String {
        lines.map { line in
            switch line {
            case .same(let text): return "  " + text
            case .removed(let text): return "- " + text
            case .added(let text): return "+ " + text
            }
        }.joined(separator: "\n")
    }
}

/// A unified diff (`diff -u` style, three lines of context) of two texts, for `wrap --dry-run`.
///
/// Lines are matched with Myers' O(ND) algorithm ("An O(ND) Difference Algorithm and Its
/// Variations", 1986), so a large file with a few changed lines (Claude Code's `~/.claude.json`)
/// costs time in proportion to its size, not its size squared.
public enum UnifiedDiff {
    /// The diff of `old` and `new` with `---`/`+++` headers naming `oldName` and `newName`; empty
    /// when the texts are equal.
    public static func render(old: String, new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let operations = lines(a, b)
        guard operations.contains(where: { if case .same = $0 { return false } else { return true } }) else { return "" }
        var output = ["--- \(oldName)", "+++ \(newName)"]
        // Group changes that are within 2 * context lines of each other into one hunk.
        var index = 0
        while index < operations.count {
            guard let firstChange = operations[index...].firstIndex(where: { if case .same = $0 { return false } else { return true } }) else { break }
            let start = max(firstChange - context, index == 0 ? 0 : index)
            var end = firstChange
            var scan = firstChange
            while scan < operations.count {
                if case .same = operations[scan] {
                    let nextChange = operations[scan...].firstIndex(where: { if case .same = $0 { return false } else { return true } })
                    if let nextChange, nextChange - scan <= 2 * context { scan = nextChange; continue }
                    break
                }
                end = scan
                scan += 1
            }
            let stop = min(end + 1 + context, operations.count)
            var oldStart = 0, newStart = 0
            for operation in operations[..<start] {
                switch operation {
                case .same: oldStart += 1; newStart += 1
                case .removed: oldStart += 1
                case .added: newStart += 1
                }
            }
            var oldCount = 0, newCount = 0
            var body: [String] = []
            for operation in operations[start..<stop] {
                switch operation {
                case .same(let line): oldCount += 1; newCount += 1; body.append(" " + line)
                case .removed(let line): oldCount += 1; body.append("-" + line)
                case .added(let line): newCount += 1; body.append("+" + line)
                }
            }
            output.append("@@ -\(oldStart + (oldCount > 0 ? 1 : 0)),\(oldCount) +\(newStart + (newCount > 0 ? 1 : 0)),\(newCount) @@")
            output += body
            index = stop
        }
        return output.joined(separator: "\n") + "\n"
    }

    /// The lines of `a` and `b`, each kept, removed or added, in order (a shortest edit script).
    public static func lines(_ a: [String], _ b: [String]) -> [LineDiff.Line] {
        let n = a.count, m = b.count, max = n + m
        guard max > 0 else { return [] }
        let offset = max
        var frontier = [Int](repeating: 0, count: 2 * max + 2)
        var trace: [[Int]] = []
        search: for d in 0...max {
            trace.append(frontier)
            for k in stride(from: -d, through: d, by: 2) {
                var x = (k == -d || (k != d && frontier[offset + k - 1] < frontier[offset + k + 1]))
                    ? frontier[offset + k + 1] : frontier[offset + k - 1] + 1
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                frontier[offset + k] = x
                if x >= n, y >= m { break search }
            }
        }
        // Walk back through the saved frontiers.
        var result: [LineDiff.Line] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let previousK = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? k + 1 : k - 1
            let previousX = d == 0 ? 0 : v[offset + previousK]
            let previousY = previousX - previousK
            while x > previousX, y > previousY {
                x -= 1; y -= 1
                result.append(.same(a[x]))
            }
            guard d > 0 else { break }
            if x == previousX { y -= 1; result.append(.added(b[y])) } else { x -= 1; result.append(.removed(a[x])) }
        }
        while x > 0, y > 0 { x -= 1; y -= 1; result.append(.same(a[x])) }
        return result.reversed()
    }
}

import RiskKernelCore
import Testing

@Suite("UnifiedDiff")
struct UnifiedDiffTests {
    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.render(old: "a\nb\n", new: "a\nb\n", oldName: "f", newName: "f") == "")
    }

    @Test func oneChangedLineWithContext() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n")
        let new = old.replacingOccurrences(of: "line 5", with: "line five")
        #expect(UnifiedDiff.render(old: old, new: new, oldName: "a", newName: "b") == """
            --- a
            +++ b
            @@ -2,7 +2,7 @@
             line 2
             line 3
             line 4
            -line 5
            +line five
             line 6
             line 7
             line 8

            """)
    }

    @Test func distantChangesAreSeparateHunks() {
        let old = (1...30).map { "l\($0)" }
        var new = old
        new[1] = "two"
        new[27] = "twenty-eight"
        new.insert("new", at: 15)
        let diff = UnifiedDiff.render(old: old.joined(separator: "\n"), new: new.joined(separator: "\n"), oldName: "a", newName: "b")
        #expect(diff.split(separator: "\n").filter { $0.hasPrefix("@@") } == ["@@ -1,5 +1,5 @@", "@@ -13,6 +13,7 @@", "@@ -25,6 +26,6 @@"])
    }

    @Test func theEditScriptRebuildsBothTexts() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let a = (0..<Int.random(in: 0...12, using: &generator)).map { _ in ["x", "y", "z"].randomElement(using: &generator)! }
            let b = (0..<Int.random(in: 0...12, using: &generator)).map { _ in ["x", "y", "z"].randomElement(using: &generator)! }
            let lines = UnifiedDiff.lines(a, b)
            let old = lines.compactMap { line -> String? in
                switch line { case .same(let t), .removed(let t): return t; case .added: return nil }
            }
            let new = lines.compactMap { line -> String? in
                switch line { case .same(let t), .added(let t): return t; case .removed: return nil }
            }
            #expect(old == a && new == b)
            // As short as the longest common subsequence allows.
            let common = LineDiff.diff(a, b).filter { if case .same = $0 { return true } else { return false } }.count
            #expect(lines.count == a.count + b.count - common)
        }
    }
}

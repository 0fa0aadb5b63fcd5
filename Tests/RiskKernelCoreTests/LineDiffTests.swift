import RiskKernelCore
import Testing

@Suite("line diff")
struct LineDiffTests {
    @Test("kept, removed and added lines in order; empty sides")
    func diff() {
        let lines = LineDiff.diff(["a", "b", "c", "d"], ["a", "x", "c", "d", "e"])
        #expect(lines == [.same("a"), .removed("b"), .added("x"), .same("c"), .same("d"), .added("e")])
        #expect(LineDiff.render(lines) == "  a\n- b\n+ x\n  c\n  d\n+ e")
        #expect(LineDiff.diff([], ["a"]) == [.added("a")])
        #expect(LineDiff.diff(["a"], []) == [.removed("a")])
        #expect(LineDiff.diff(["same"], ["same"]) == [.same("same")])
    }
}

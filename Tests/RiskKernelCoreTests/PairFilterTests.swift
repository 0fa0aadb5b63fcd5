import CRiskKernelScan
import SeededRandom
import Testing

/// The vector filter under ``LiteralSet``: each block width this processor has gives the same
/// positions as the search one position at a time, and no position that starts a pair is missed.
@Suite("pair filter")
struct PairFilterTests {
    /// Every position `rk_next_pair_in_blocks` returns, from the start of `bytes` to its end.
    static func positions(_ bytes: [UInt8], _ filter: rk_pair_filter, block: Int) -> [Int] {
        var found: [Int] = []
        withUnsafePointer(to: filter) { filter in
            var index = 0
            while true {
                index = rk_next_pair_in_blocks(bytes, bytes.count, index, filter, block)
                guard index < bytes.count else { return }
                found.append(index)
                index += 1
            }
        }
        return found
    }

    @Test("every block width finds the same positions, and every pair among them")
    func blockWidthsAgree() {
        var random = SeededRandom(seed: 0x7EDD1)
        let widths = [1, 16, 32].filter { $0 <= rk_pair_block() }
        #expect(widths.count > 1, "this processor searches one position at a time only")
        for round in 0..<3_000 {
            let alphabet: [UInt8] = round % 2 == 0 ? Array(0...255) : Array("aAgGhHxXsS-_:/\\u".utf8)
            let pairs = (0..<random.int(1...(round % 5 == 0 ? 40 : 12))).map { _ in (random.pick(alphabet), random.pick(alphabet)) }
            let bytes = (0..<random.int(0...200)).map { _ in random.pick(alphabet) }
            let filter = rk_pair_filter_make(pairs.map(\.0), pairs.map(\.1), pairs.count)
            let one = Self.positions(bytes, filter, block: 1)
            for width in widths.dropFirst() {
                #expect(Self.positions(bytes, filter, block: width) == one, "block \(width), pairs \(pairs), bytes \(bytes)")
            }
            let starting = bytes.indices.dropLast().filter { index in pairs.contains { $0 == (bytes[index], bytes[index + 1]) } }
            #expect(Set(starting).isSubset(of: one), "pairs \(pairs), bytes \(bytes)")
        }
    }
}

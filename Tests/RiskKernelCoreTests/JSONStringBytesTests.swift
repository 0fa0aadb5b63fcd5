import CRiskKernelScan
import Foundation
import SeededRandom
import Testing

@testable import RiskKernelCore

/// The vector search for the bytes that end a JSON string's plain run, in every block width this
/// processor has, against a byte-by-byte one, and the encoder and parser built on it against
/// Foundation's, on random strings.
@Suite("JSON string bytes: a block at a time")
struct JSONStringBytesTests {
    static func naiveFirstSpecial(_ bytes: [UInt8], from start: Int) -> Int {
        bytes[start...].firstIndex { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 } ?? bytes.count
    }

    /// Bytes around the edges of the three tests: the specials, their neighbours, and the high bytes
    /// whose borrows a word test could confuse.
    static let interesting: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0x9F, 0xA0, 0xA2, 0xDC, 0xFF]

    /// Random byte strings (`interesting` bytes with probability `chance`, letters otherwise), each
    /// searched from every start by `search` (the dispatching entry) and `inBlocks` in every block
    /// width this processor has, against `naive`.
    func compareSearches(
        chance: Double, naive: ([UInt8], Int) -> Int, search: ([UInt8], Int) -> Int, inBlocks: ([UInt8], Int, Int) -> Int
    ) {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let widths = rk_pair_block() == 32 ? [1, 16, 32] : [1, 16]
        for round in 0..<3_000 {
            let count = random.int(0...(round % 2 == 0 ? 40 : 140))
            let bytes: [UInt8] = (0..<count).map { _ in
                random.chance(chance) ? random.pick(Self.interesting) : UInt8(ascii: "a") + UInt8(random.int(0...25))
            }
            for start in 0...count {
                let expected = naive(bytes, start)
                #expect(search(bytes, start) == expected, "seed \(seed), round \(round): \(bytes) from \(start)")
                for width in widths {
                    #expect(inBlocks(bytes, start, width) == expected, "block \(width), seed \(seed), round \(round): \(bytes) from \(start)")
                }
            }
        }
    }

    @Test("finds the same first byte as a byte-by-byte search, from every start, in every block width")
    func matchesNaiveSearch() {
        compareSearches(
            chance: 0.15, naive: Self.naiveFirstSpecial(_:from:),
            search: { bytes, start in bytes.withUnsafeBufferPointer { JSONStringBytes.firstSpecial(in: $0, from: start) } },
            inBlocks: { bytes, start, width in rk_first_json_special_in_blocks(bytes, bytes.count, start, width) })
    }

    @Test("finds the same first non-ASCII byte as a byte-by-byte search, from every start, in every block width")
    func firstNonASCIIMatchesNaiveSearch() {
        compareSearches(
            chance: 0.05, naive: { bytes, start in bytes[start...].firstIndex { $0 >= 0x80 } ?? bytes.count },
            search: { bytes, start in rk_first_non_ascii(bytes, bytes.count, start) },
            inBlocks: { bytes, start, width in rk_first_non_ascii_in_blocks(bytes, bytes.count, start, width) })
    }

    @Test("strings with quotes, backslashes, control and non-ASCII characters: encoded and parsed back")
    func encodesAndParsesRandomStrings() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let pieces = ["\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{7F}", "é", "\u{E000}", "😀", "x", "plain text ", "\\u0041", "/"]
        for round in 0..<1_000 {
            let text = (0..<random.int(0...40)).map { _ in random.pick(pieces) }.joined()
            let encoded = CanonicalJSON.encode(.string(text))
            let parsed = try JSONParser.parse(encoded)
            #expect(parsed == .string(text), "seed \(seed), round \(round): \(text.debugDescription)")
            let foundation = try JSONSerialization.jsonObject(with: Data(encoded), options: [.fragmentsAllowed]) as? String
            #expect(foundation == text, "seed \(seed), round \(round): Foundation reads \(encoded) back differently")
        }
    }
}

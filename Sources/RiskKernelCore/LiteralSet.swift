import CRiskKernelScan
import Foundation

/// A set of byte strings searched for all at once, in one pass over a text.
///
/// Each literal is filed under its first two bytes in a 64 Ki-bit table, and the pass compares
/// whole literals only where a pair of adjacent bytes starts one. The positions worth looking up
/// are found by a vector filter on the pairs' nibbles (``rk_pair_filter``), thirty-two positions
/// at a time, so a text with no such pair is read at memory speed, whatever its bytes (`"xxxx…"`
/// against `"xox"` included).
///
/// Literals must be at least two bytes long; each has a tag (an index the caller chooses, below
/// 64), and a search answers with the tags of the literals found as a bit set.
public struct LiteralSet: Sendable {
    /// The literals, each with its tag, grouped by their first two bytes (`pairs[pair]` indexes
    /// `groups`).
    private let groups: [[(bytes: [UInt8], tag: Int)]]
    private let pairs: [UInt16: Int]
    /// One bit per pair of bytes that starts some literal.
    private let starts: [UInt64]
    /// The filter that finds the positions where a pair may start a literal, sixteen or
    /// thirty-two positions at a time (``rk_pair_filter``).
    private let pairFilter: rk_pair_filter

    /// `literals`: `(bytes, tag)`; a tag is in `0..<64`, a literal at least two bytes long.
    public init(_ literals: [(bytes: [UInt8], tag: Int)]) {
        var groups: [[(bytes: [UInt8], tag: Int)]] = []
        var pairs: [UInt16: Int] = [:]
        var starts = [UInt64](repeating: 0, count: 1024)
        for literal in literals {
            precondition(literal.bytes.count >= 2 && (0..<64).contains(literal.tag), "a literal has two bytes or more and a tag below 64")
            let pair = UInt16(literal.bytes[0]) << 8 | UInt16(literal.bytes[1])
            starts[Int(pair) >> 6] |= 1 << (UInt64(pair) & 63)
            if let index = pairs[pair] {
                groups[index].append(literal)
            } else {
                pairs[pair] = groups.count
                groups.append([literal])
            }
        }
        self.groups = groups
        self.pairs = pairs
        self.starts = starts
        let pairList = pairs.keys.sorted()
        pairFilter = rk_pair_filter_make(pairList.map { UInt8($0 >> 8) }, pairList.map { UInt8($0 & 0xFF) }, pairList.count)
    }

    /// The tags of the literals that occur in `bytes`, as a bit set (bit `tag` set when found);
    /// with `stoppingAtFirst`, only the tags found where the first literal was.
    public func tags(in bytes: UnsafeBufferPointer<UInt8>, stoppingAtFirst: Bool = false) -> UInt64 {
        guard bytes.count >= 2, let base = bytes.baseAddress else { return 0 }
        var found: UInt64 = 0
        /// Compares the literals that start with the pair at `index`; `true` when the search is over.
        func literals(at index: Int) -> Bool {
            let pair = UInt16(base[index]) << 8 | UInt16(base[index + 1])
            // The filter lets some other pairs through; the table tells them apart.
            guard starts[Int(pair) >> 6] & (1 << (UInt64(pair) & 63)) != 0, let group = pairs[pair] else { return false }
            for literal in groups[group] where found & (1 << UInt64(literal.tag)) == 0 {
                let count = literal.bytes.count
                if index + count <= bytes.count, literal.bytes.withUnsafeBufferPointer({ memcmp(base + index, $0.baseAddress!, count) }) == 0 {
                    found |= 1 << UInt64(literal.tag)
                }
            }
            return stoppingAtFirst && found != 0
        }
        let last = bytes.count - 1
        withUnsafePointer(to: pairFilter) { filter in
            var index = 0
            while index < last {
                index = rk_next_pair(base, bytes.count, index, filter)
                if index >= last || literals(at: index) { return }
                index += 1
            }
        }
        return found
    }

    /// ``tags(in:stoppingAtFirst:)`` over any bytes (a copy is made only when `bytes` has no
    /// contiguous storage).
    public func tags(in bytes: some Collection<UInt8>, stoppingAtFirst: Bool = false) -> UInt64 {
        bytes.withContiguousStorageIfAvailable { tags(in: $0, stoppingAtFirst: stoppingAtFirst) }
            ?? Array(bytes).withUnsafeBufferPointer { tags(in: $0, stoppingAtFirst: stoppingAtFirst) }
    }
}

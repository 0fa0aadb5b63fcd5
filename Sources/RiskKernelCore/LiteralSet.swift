import Foundation

/// A set of byte strings searched for all at once, in one pass over a text.
///
/// Each literal is filed under its first two bytes in a 64 Ki-bit table, so the pass looks at
/// each pair of adjacent bytes once and compares whole literals only where a pair starts one. A
/// text made of a literal's first byte alone (`"xxxx…"` against `"xox"`) costs no more than any
/// other: the earlier search, one `memchr` and `memcmp` per literal, compared at every byte of
/// such a text and read the whole text once per literal.
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
    }

    /// The tags of the literals that occur in `bytes`, as a bit set (bit `tag` set when found);
    /// with `stoppingAtFirst`, only the tags found where the first literal was.
    public func tags(in bytes: UnsafeBufferPointer<UInt8>, stoppingAtFirst: Bool = false) -> UInt64 {
        guard bytes.count >= 2, let base = bytes.baseAddress else { return 0 }
        var found: UInt64 = 0
        let last = bytes.count - 1
        var index = 0
        starts.withUnsafeBufferPointer { starts in
            var pair = UInt16(base[0])
            while index < last {
                pair = pair << 8 | UInt16(base[index + 1])
                if starts[Int(pair) >> 6] & (1 << (UInt64(pair) & 63)) != 0, let group = pairs[pair] {
                    for literal in groups[group] where found & (1 << UInt64(literal.tag)) == 0 {
                        let count = literal.bytes.count
                        if index + count <= bytes.count,
                           literal.bytes.withUnsafeBufferPointer({ memcmp(base + index, $0.baseAddress!, count) }) == 0 {
                            found |= 1 << UInt64(literal.tag)
                        }
                    }
                    if stoppingAtFirst, found != 0 { return }
                }
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

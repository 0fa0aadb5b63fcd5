/// Finds the bytes of a JSON string that end a run copied as is: a quote, a backslash or a control
/// character (below U+0020), the three that RFC 8259 §7 does not allow unescaped. Eight bytes at a
/// time, with the word tests of "Bit Twiddling Hacks" (S. E. Anderson, "Determine if a word has a
/// byte less than n" and "… has a zero byte"): in a word, the lowest byte those tests flag is
/// always a true match (a false flag can only stand above a true one), so the first match is exact.
enum JSONStringBytes {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first quote, backslash or control byte of `bytes` at or after `start`;
    /// `bytes.count` when there is none.
    static func firstSpecial(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return bytes.count }
        let count = bytes.count
        var index = start
        while index + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            let flags = ((quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes | (word &- ones &* 0x20) & ~word) & highBits
            if flags != 0 { return index + flags.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < count {
            let byte = base[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 { return index }
            index += 1
        }
        return count
    }
}

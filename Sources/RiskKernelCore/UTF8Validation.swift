import CRiskKernelScan

/// Whether bytes are well-formed UTF-8 (The Unicode Standard, §3.9, table 3-7: no overlong forms,
/// no surrogates, nothing above U+10FFFF), without making a `String` of them. Runs of ASCII are
/// passed in vector registers (`rk_first_non_ascii`), eight bytes at a time when short.
enum UTF8Validation {
    /// Below this many bytes from the start, ASCII is passed in Swift.
    static let vectorThreshold = 32

    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            if count - index >= vectorThreshold {
                index = rk_first_non_ascii(base, count, index)
            } else {
                // Eight bytes at a time while they are ASCII.
                while index + 8 <= count, UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                }
            }
            guard index < count else { return true }
            let lead = base[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            // The length of the sequence, and the range its second byte must fall in.
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; second = 0x80...0x8F
            default: return false
            }
            guard index + length <= count, second.contains(base[index + 1]) else { return false }
            for offset in 2..<length where base[index + offset] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }
}

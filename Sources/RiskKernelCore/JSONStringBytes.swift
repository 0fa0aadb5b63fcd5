import CRiskKernelScan

/// Finds the bytes of a JSON string that end a run copied as is: a quote, a backslash or a control
/// character (below U+0020), the three that RFC 8259 §7 does not allow unescaped. Thirty-two or
/// sixteen bytes at a time in vector registers (`rk_first_json_special`); a short run (a key, a
/// name) byte by byte, where the call would cost more than the search.
enum JSONStringBytes {
    /// Below this many bytes from the start, the search stays in Swift.
    static let vectorThreshold = 32

    /// The index of the first quote, backslash or control byte of `bytes` at or after `start`;
    /// `bytes.count` when there is none.
    static func firstSpecial(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress, start < bytes.count else { return bytes.count }
        guard bytes.count - start < vectorThreshold else { return rk_first_json_special(base, bytes.count, start) }
        for index in start..<bytes.count {
            let byte = base[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 { return index }
        }
        return bytes.count
    }
}

import Foundation
import RiskKernelCore

/// Finds the bytes of a JSON object's members without parsing their values: one pass that skips
/// each value by its brackets and string quotes (strings found with `memchr`), so that the gateway
/// can find a message's `"id"` in a line of any size without building its tree.
/// Escapes are not checked: the bytes are the strict parser's to judge.
struct JSONMemberScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The byte range of the value of the member `key` of the JSON object in `bytes` (the first
    /// one, spelled plainly or with escapes), or `nil` when `bytes` is no object or has no such
    /// member. Members of nested values are never taken.
    static func range(ofMember key: String, in bytes: some Collection<UInt8>) -> Range<Int>? {
        let search = { (buffer: UnsafeBufferPointer<UInt8>) -> Range<Int>? in
            var scanner = JSONMemberScanner(bytes: buffer)
            return scanner.memberRange(key)
        }
        return bytes.withContiguousStorageIfAvailable(search) ?? Array(bytes).withUnsafeBufferPointer(search)
    }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func memberRange(_ key: String) -> Range<Int>? {
        let plain = Array("\"\(key)\"".utf8)
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        while true {
            skipSpace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "}") { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "\"") else { return nil }
            let keyStart = index
            guard skipString() else { return nil }
            let isKey = names(keyStart..<index, key, plain: plain)
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpace()
            let valueStart = index
            guard skipValue() else { return nil }
            if isKey { return valueStart..<index }
        }
    }

    /// Whether the key at `range` (quotes included) is `key`; `plain` is `key` quoted.
    func names(_ range: Range<Int>, _ key: String, plain: [UInt8]) -> Bool {
        if range.count == plain.count, plain.withUnsafeBufferPointer({ memcmp(bytes.baseAddress! + range.lowerBound, $0.baseAddress!, plain.count) }) == 0 {
            return true
        }
        // An escaped spelling ("\u0069d") names the same member.
        guard bytes[range].contains(UInt8(ascii: "\\")), case .string(let name)? = try? JSONParser.parse(bytes[range]) else { return false }
        return name == key
    }

    /// Past a string starting at `index` (its escapes are not checked).
    mutating func skipString() -> Bool {
        index += 1
        guard let base = bytes.baseAddress else { return false }
        while index < bytes.count {
            guard let quote = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index) else { return false }
            let position = base.distance(to: quote.assumingMemoryBound(to: UInt8.self))
            // Escaped when an odd run of backslashes comes before it.
            var slashes = 0
            while position - slashes - 1 >= index, base[position - slashes - 1] == UInt8(ascii: "\\") { slashes += 1 }
            index = position + 1
            if slashes % 2 == 0 { return true }
        }
        return false
    }

    /// Past one value of any kind (nested values by counting brackets outside strings).
    mutating func skipValue() -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard skipString() else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return true
                    }
                default: break
                }
                index += 1
            }
            return false
        default:
            let start = index
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
            return index > start
        }
    }

    /// The members of the object at `index`, by key, each key spelled plainly (no escape), the
    /// punctuation between them as RFC 8259 has it; `nil` for anything else or a key written twice.
    /// Values are only skipped: the caller parses the ones it uses.
    mutating func plainMembers() -> [String: Range<Int>]? {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        skipSpace()
        var members: [String: Range<Int>] = [:]
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return members
        }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let keyStart = index + 1
            guard skipString() else { return nil }
            let key = UnsafeBufferPointer(rebasing: bytes[keyStart..<(index - 1)])
            guard !key.contains(UInt8(ascii: "\\")), let name = String(validating: key, as: UTF8.self) else { return nil }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpace()
            let valueStart = index
            guard skipValue(), members.updateValue(valueStart..<index, forKey: name) == nil else { return nil }
            skipSpace()
            guard index < bytes.count else { return nil }
            index += 1
            switch bytes[index - 1] {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return members
            default: return nil
            }
        }
    }

    /// Whether only whitespace is left.
    mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }
}

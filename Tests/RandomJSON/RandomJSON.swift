import Foundation
import RiskKernelCore
import SeededRandom

/// Random JSON values that exercise what RFC 8785 specifies: doubles of every magnitude
/// (exponents, subnormals, integral values beyond 2^53), escapes, and keys outside the BMP or
/// in U+E000–U+FFFF, where UTF-8 and UTF-16 orders differ.
public enum RandomJSON {
    public static let scalars: [Unicode.Scalar] = [
        "a", "B", "z", "0", "\"", "\\", "/", "\u{0}", "\u{1}", "\u{8}", "\u{9}", "\u{A}", "\u{C}", "\u{D}", "\u{1F}", "\u{7F}", "\u{80}",
        "é", "\u{20AC}", "\u{D7FF}", "\u{E000}", "\u{FB33}", "\u{FF61}", "\u{FFFD}", "\u{FFFF}", "😀", "\u{10000}", "\u{10FFFF}",
    ]

    public static func string(using random: inout SeededRandom) -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<random.int(0...6) { text.append(random.pick(scalars)) }
        return String(text)
    }

    public static func double(using random: inout SeededRandom) -> Double {
        switch random.int(0...4) {
        case 0:
            // Any finite bit pattern.
            while true {
                let value = Double(bitPattern: random.next())
                if value.isFinite { return value }
            }
        case 1: return Double(random.int(-1_000_000...1_000_000)) * pow(10, Double(random.int(-30...30)))
        case 2: return Double(random.int(1...9)) * pow(10, Double(random.int(-9...25))) * (random.chance(0.5) ? 1 : -1)
        case 3: return Double(random.next() >> UInt64(random.int(0...63))) * (random.chance(0.5) ? 1 : -1)
        default: return Double(random.int(-99999...99999)) / Double(random.pick([1, 3, 7, 10, 1000, 1 << 20]))
        }
    }

    /// Values of the kinds tool arguments mostly hold (texts, integers and integral doubles up to
    /// and past 2^53, literals), with keys drawn from the same characters as ``string(using:)``.
    public static func plainValue(depth: Int, using random: inout SeededRandom) -> JSONValue {
        tree(depth: depth, leaves: 5, using: &random) { choice, random in
            switch choice {
            case 0: return random.pick([.null, .bool(true), .bool(false)])
            case 1: return .integer(Int64(random.int(-(1 << 53) - 2...(1 << 53) + 2)))
            case 2: return .double(Double(random.pick([0, -0.0, 1, -7, 9_007_199_254_740_991, 9_007_199_254_740_992, 1e20, 1e21])))
            default: return .string(string(using: &random))
            }
        }
    }

    public static func value(depth: Int, using random: inout SeededRandom) -> JSONValue {
        tree(depth: depth, leaves: 7, using: &random) { choice, random in
            switch choice {
            case 0: return random.pick([.null, .bool(true), .bool(false)])
            case 1: return .integer(Int64(bitPattern: random.next()) >> UInt64(random.int(0...63)))
            case 2, 3: return .double(double(using: &random))
            case 4: return .number(random.pick(["1.0", "1.10", "2.5e-3", "-0", "1E30", "12345678901234567890", "0.1000000000000000000001", "1e-7"]))
            default: return .string(string(using: &random))
            }
        }
    }

    /// One of `leaves` kinds of leaf (`leaf` makes kind `choice`), or, above depth 0, an array (one
    /// chance in `leaves + 3`) or an object (two) of such trees a level less deep.
    public static func tree(
        depth: Int, leaves: Int, using random: inout SeededRandom, leaf: (Int, inout SeededRandom) -> JSONValue
    ) -> JSONValue {
        let choice = random.int(0...(depth > 0 ? leaves + 2 : leaves - 1))
        if choice < leaves { return leaf(choice, &random) }
        if choice == leaves {
            return .array((0..<random.int(0...4)).map { _ in tree(depth: depth - 1, leaves: leaves, using: &random, leaf: leaf) })
        }
        var members: [String: JSONValue] = [:]
        for _ in 0..<random.int(0...5) { members[string(using: &random)] = tree(depth: depth - 1, leaves: leaves, using: &random, leaf: leaf) }
        return .object(members)
    }
}

/// JSON text for a value, written the many ways RFC 8259 allows: spacing, member order, escapes
/// (`\uXXXX` in either case, surrogate pairs, `\/`) and numbers' other spellings (`1.0E0`, `10e-1`).
public enum NoisyJSON {
    public static func text(_ value: JSONValue, using random: inout SeededRandom) -> String {
        var output = space(&random)
        write(value, into: &output, using: &random)
        return output + space(&random)
    }

    public static func space(_ random: inout SeededRandom) -> String { random.pick(["", "", "", " ", "\n", "\t", " \r\n  "]) }

    public static func write(_ value: JSONValue, into output: inout String, using random: inout SeededRandom) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .integer(let integer):
            output += random.chance(0.8) ? String(integer) : "\(integer)e0"
        case .double(let double):
            output += random.chance(0.8) ? "\(double)" : String(format: "%.17E", double)
        case .number(let text): output += text
        case .string(let text): writeString(text, into: &output, using: &random)
        case .array(let elements):
            output += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { output += space(&random) + "," }
                output += space(&random)
                write(element, into: &output, using: &random)
                output += space(&random)
            }
            output += "]"
        case .object(let members):
            output += "{" + space(&random)
            for (position, (key, member)) in members.shuffled(using: &random).enumerated() {
                if position > 0 { output += "," + space(&random) }
                writeString(key, into: &output, using: &random)
                output += space(&random) + ":" + space(&random)
                write(member, into: &output, using: &random)
                output += space(&random)
            }
            output += "}"
        }
    }

    public static func writeString(_ text: String, into output: inout String, using random: inout SeededRandom) {
        output += "\""
        for scalar in text.unicodeScalars {
            let short: [Unicode.Scalar: String] = ["\"": "\\\"", "\\": "\\\\", "/": "\\/", "\u{8}": "\\b", "\u{C}": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"]
            let mustEscape = scalar == "\"" || scalar == "\\" || scalar.value < 0x20
            if !mustEscape, random.chance(0.7) {
                output.unicodeScalars.append(scalar)
            } else if let escape = short[scalar], random.chance(0.5) {
                output += escape
            } else {
                let units = Array(String(scalar).utf16)
                let upper = random.chance(0.5)
                for unit in units { output += "\\u" + String(format: upper ? "%04X" : "%04x", unit) }
            }
        }
        output += "\""
    }
}

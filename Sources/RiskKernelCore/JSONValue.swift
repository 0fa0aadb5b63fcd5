import Foundation

/// A JSON value as the gateway and the ledger see it.
///
/// Objects are unordered (`[String: JSONValue]`); the canonical encoding sorts their keys.
///
/// Numbers come in three cases, so that no number changes on its way through the gateway: an
/// integer that fits in `Int64` is `.integer`; a number that `CanonicalJSON` writes back exactly as
/// it was written (`1.5`, `0.1`) is `.double`; every other number keeps its text in `.number`
/// (`18446744073709551615`, `1.10`, `1e2`, `-0`, `0.1000000000000000000001`). Equality compares
/// the cases as they are: `.integer(1)`, `.double(1)` and `.number("1.0")` are three different
/// values; compare ``doubleValue`` or ``int64Value`` to compare numbers by value.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    /// A number kept as the text it was written in, because `.integer` and `.double` would write
    /// it differently. Only ``JSONParser`` makes these; the text is a JSON number (RFC 8259 §6)
    /// whose value is within the finite `Double` range. ``CanonicalJSON`` writes it as that text
    /// for a message passed on (``CanonicalJSON/Numbers/asWritten``) and as the nearest double for a
    /// hash (``CanonicalJSON/Numbers/doubles``).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` of an object, or `nil` for anything else.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as an `Int64` when it is an integer (or a double with an integral value, or a
    /// number whose text has an integral value within `Int64`, such as `1e2` or `42.0`).
    public var int64Value: Int64? {
        switch self {
        case .integer(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9.2e18: return Int64(value)
        case .number(let text): return JSONDecimal(text)?.int64Value
        default: return nil
        }
    }

    /// The value as a `Double` when it is a number (for `.number`, the double nearest its text).
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .double(let value): return value
        case .number(let text): return Double(text)
        default: return nil
        }
    }

    /// Whether the value is a number with an integral value: `3`, `3.0`, `1e2` and
    /// `18446744073709551615` are, `1.5` is not. A `.number` is judged by its text, not by the
    /// nearest double: `1.0000000000000000001` is not integral, although its nearest double is 1.
    public var isIntegralNumber: Bool {
        switch self {
        case .integer: return true
        case .double(let value): return value.isFinite && value.rounded() == value
        case .number(let text): return JSONDecimal(text)?.isInteger ?? false
        default: return false
        }
    }

    public var isNull: Bool { self == .null }
}

/// Literals for strings, numbers, booleans, arrays and objects. JSON null has no literal: it is
/// written `.null`, so that `nil` always means "absent". (With a `nil` literal, a `JSONValue?` such
/// as `rewritten ? arguments : nil` would be JSON null instead of absent, and be stored and hashed
/// as `null`.)
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .number(let text):
            // Foundation's encoders write a `Decimal` with all its digits (up to 38); beyond that,
            // or for an exponent out of its range, the nearest double.
            if let decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), !decimal.isNaN {
                try container.encode(decimal)
            } else {
                try container.encode(Double(text) ?? 0)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

import Crypto
import Foundation
import RiskKernelCore

/// The hash rule of the ledger's chain, shared by the stores that write it and the verifier.
public enum EventChain {
    /// The `previousHash` of a run's first event.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The member of an event's body that names the rule it was hashed under (`"canon": "rfc8785"`).
    /// A body without it was written before rules were recorded and was hashed under
    /// ``CanonicalJSON/Rule/riskkernelV1``.
    public static let ruleKey = "canon"

    /// The rule `body` was hashed under: the one its `canon` member names, ``CanonicalJSON/Rule/riskkernelV1``
    /// when it has none, `nil` when it names a rule this version does not know.
    public static func rule(of body: JSONValue) -> CanonicalJSON.Rule? {
        guard let named = body[ruleKey] else { return .riskkernelV1 }
        return named.stringValue.flatMap(CanonicalJSON.Rule.init(rawValue:))
    }

    /// SHA-256 over `previousHash`, a newline (0x0A) and the canonical JSON of `body` under the rule
    /// the body records (``rule(of:)``; an unknown rule is hashed as ``CanonicalJSON/Rule/riskkernelV1``,
    /// which ``ChainVerifier`` reports), in lower-case hex.
    public static func hash(previousHash: String, body: JSONValue) -> String {
        hash(previousHash: previousHash, canonicalBody: CanonicalJSON.encode(body, rule: rule(of: body) ?? .riskkernelV1))
    }

    /// ``hash(previousHash:body:)`` for a body already in canonical JSON.
    public static func hash(previousHash: String, canonicalBody: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(previousHash.utf8))
        hasher.update(data: [0x0A])
        hasher.update(data: canonicalBody)
        return hex(hasher.finalize())
    }

    /// The digest of a value as events carry it (`argumentsDigest`, `forwardedArgumentsDigest`,
    /// `payloadDigest`, `valueDigest`): the lower-case hex SHA-256 of its canonical JSON under `rule`
    /// (RFC 8785 for every event written now; the rule of the event that carries the digest when
    /// checking an older one), whatever text its numbers were stored in.
    public static func digest(of value: JSONValue, rule: CanonicalJSON.Rule = .current) -> String {
        hexDigest(CanonicalJSON.encode(value, rule: rule))
    }

    /// What an event adds to its run's usage, read from its hashed body: `model.recorded` its
    /// tokens and dollars, a loop and a model call; `tool.decided` a tool call; `tool.charged` its
    /// dollars; any other kind nothing. A run's usage totals are the sum over its chain (what
    /// `audit verify` checks and budget decisions rely on).
    public static func spend(of body: JSONValue) -> Usage {
        let data = body["data"]
        let dollars = data?["dollars"]?.stringValue.flatMap { Money(dollars: $0) } ?? .zero
        switch body["kind"]?.stringValue {
        case "model.recorded":
            return Usage(
                promptTokens: data?["promptTokens"]?.int64Value ?? 0, completionTokens: data?["completionTokens"]?.int64Value ?? 0,
                cachedPromptTokens: data?["cachedPromptTokens"]?.int64Value ?? 0, dollars: dollars, loops: 1, modelCalls: 1)
        case "tool.decided": return Usage(toolCalls: 1)
        case "tool.charged": return Usage(dollars: dollars)
        default: return Usage()
        }
    }

    /// The lower-case hex SHA-256 of `bytes`.
    public static func hexDigest(_ bytes: some Sequence<UInt8>) -> String {
        hex(SHA256.hash(data: Array(bytes)))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ digest: SHA256.Digest) -> String {
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The body that is hashed for an event: the payload plus its place in the chain, and the rule
    /// it is hashed under (``CanonicalJSON/Rule/current``).
    public static func body(runId: String, sequence: Int64, kind: String, at time: Date, data: JSONValue) -> JSONValue {
        .object([
            ruleKey: .string(CanonicalJSON.Rule.current.rawValue),
            "runId": .string(runId),
            "sequence": .integer(sequence),
            "kind": .string(kind),
            "time": .string(Timestamps.iso8601(time)),
            "data": data,
        ])
    }
}

/// Time as the stores keep it: integer milliseconds since 1970 (UTC).
public enum Timestamps {
    /// Whole milliseconds, truncated. Half a microsecond of slack keeps `date(milliseconds:)`
    /// round trips exact (seconds × 1000 in binary floating point can land just below the integer).
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000 + 0.0005).rounded(.down)) }
    public static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
    /// Now, truncated to the millisecond so that what is stored and what is returned agree.
    public static func now() -> Date { date(milliseconds: milliseconds(Date())) }

    /// `2026-11-23T08:29:28.123Z`: UTC, to the millisecond (truncated), as ISO 8601 writes it.
    public static func iso8601(_ date: Date) -> String { iso8601(milliseconds: milliseconds(date)) }

    /// ``iso8601(_:)`` of a time in milliseconds since 1970, exact before and after 1970.
    public static func iso8601(milliseconds: Int64) -> String {
        let (seconds, millis) = floorDivision(milliseconds, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        if (0...9999).contains(year) {
            // Every event's body holds its time: its 24 characters are written in place.
            return String(unsafeUninitializedCapacity: 24) { text in
                func put(_ value: Int64, width: Int, at offset: Int, then separator: Character) {
                    var rest = value
                    for index in (offset..<offset + width).reversed() {
                        text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                        rest /= 10
                    }
                    text[offset + width] = separator.asciiValue!
                }
                put(year, width: 4, at: 0, then: "-")
                put(month, width: 2, at: 5, then: "-")
                put(day, width: 2, at: 8, then: "T")
                put(secondOfDay / 3600, width: 2, at: 11, then: ":")
                put(secondOfDay % 3600 / 60, width: 2, at: 14, then: ":")
                put(secondOfDay % 60, width: 2, at: 17, then: ".")
                put(millis, width: 3, at: 20, then: "Z")
                return 24
            }
        }
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// The quotient rounded down, and the non-negative remainder.
    public static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor - (value % divisor < 0 ? 1 : 0)
        return (quotient, value - quotient * divisor)
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
    public static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of ``civilDate(daysSinceEpoch:)``).
    public static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

import Foundation
import RiskKernelStore

/// Times in a bundle: `2026-11-23T08:29:28.123Z`, exact to the millisecond both ways (the stores keep
/// integer milliseconds, and a bundle must bring back exactly what it took).
public enum BundleTime {
    public static func string(_ date: Date) -> String { string(milliseconds: Timestamps.milliseconds(date)) }

    public static func string(milliseconds: Int64) -> String { Timestamps.iso8601(milliseconds: milliseconds) }

    /// Reads exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func milliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A,
              bytes[19] == 0x2E, bytes[23] == 0x5A
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), let millis = number(20..<23),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = Timestamps.daysSinceEpoch(year: year, month: month, day: day)
        guard Timestamps.civilDate(daysSinceEpoch: days) == (year, month, day) else { return nil }
        return ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) + millis
    }

    public static func date(_ text: String) -> Date? { milliseconds(text).map(Timestamps.date(milliseconds:)) }
}

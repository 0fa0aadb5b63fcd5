import Foundation
import RiskKernelStore
import Testing

@Suite("Timestamps")
struct TimestampsTests {
    /// The expected text from Foundation's Gregorian calendar in UTC, on whole seconds (exact in a
    /// Double), with the milliseconds from the integer count.
    static func reference(milliseconds: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!,
            Int(milliseconds - seconds * 1000))
    }

    @Test("iso8601 gives the UTC calendar date and time, to the millisecond, before and after 1970")
    func matchesTheCalendar() {
        var generator = SystemRandomNumberGenerator()
        var instants: [Int64] = [0, -1, 951_782_400_999, 4_107_542_399_500, -2_208_988_800_250, 1_795_422_568_123]
        for _ in 0..<2000 { instants.append(Int64.random(in: -2_000_000_000_000...8_000_000_000_000, using: &generator)) }
        for milliseconds in instants {
            #expect(Timestamps.iso8601(Timestamps.date(milliseconds: milliseconds)) == Self.reference(milliseconds: milliseconds), "\(milliseconds)")
        }
    }

    @Test("a known instant, and a leap day")
    func knownInstants() {
        #expect(Timestamps.iso8601(Date(timeIntervalSince1970: 1_795_422_568.123)) == "2026-11-23T08:29:28.123Z")
        #expect(Timestamps.iso8601(Timestamps.date(milliseconds: 951_782_400_999)) == "2000-02-29T00:00:00.999Z")
    }
}

extension TimestampsTests {
    @Test("milliseconds round-trip through a Date exactly")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let milliseconds = Int64.random(in: -2_000_000_000_000...8_000_000_000_000, using: &generator)
            #expect(Timestamps.milliseconds(Timestamps.date(milliseconds: milliseconds)) == milliseconds)
        }
    }
}

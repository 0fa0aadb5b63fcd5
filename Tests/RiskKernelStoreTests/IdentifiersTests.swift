import Foundation
import RiskKernelStore
import SeededRandom
import Testing

@Suite("Identifiers")
struct IdentifiersTests {
    static let alphabet = Set("0123456789abcdefghijkmnpqrstuvwxyz")

    @Test("random ids: the prefix and 12 characters of the alphabet, all different")
    func random() {
        let ids = (0..<10_000).map { _ in Identifiers.make("apr") }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id.hasPrefix("apr_") && id.count == 16 && id.dropFirst(4).allSatisfy(Self.alphabet.contains), "\(id)")
        }
    }

    @Test("property: ordered ids sort as their times do, to the millisecond, and never collide")
    func ordered() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        for _ in 0..<5_000 {
            // Any two times from 1970 to the year 3000, often within a few milliseconds.
            let first = Double(random.int(0...32_503_680_000_000))
            let second = random.chance(0.5) ? max(0, first + Double(random.int(-3...3))) : Double(random.int(0...32_503_680_000_000))
            let (dateA, dateB) = (Date(timeIntervalSince1970: first / 1000), Date(timeIntervalSince1970: second / 1000))
            let a = Identifiers.makeOrdered("led", at: dateA)
            let b = Identifiers.makeOrdered("led", at: dateB)
            #expect(a.hasPrefix("led_") && a.count == 25 && a.dropFirst(4).allSatisfy(Self.alphabet.contains), "seed \(seed): \(a)")
            #expect(a != b, "seed \(seed)")
            // The time part orders as the stored times (whole milliseconds) do.
            let (timeA, timeB) = (a.dropFirst(4).prefix(9), b.dropFirst(4).prefix(9))
            let (storedA, storedB) = (Timestamps.milliseconds(dateA), Timestamps.milliseconds(dateB))
            #expect((timeA < timeB) == (storedA < storedB) && (timeA == timeB) == (storedA == storedB), "seed \(seed): \(a), \(b)")
        }
        let now = Date()
        let ids = (0..<10_000).map { _ in Identifiers.makeOrdered("call", at: now) }
        #expect(Set(ids).count == ids.count, "ids made in the same millisecond differ by their random part")
    }
}

import Foundation

/// A small, fast, seedable generator (SplitMix64), so that a failing fuzz run can be repeated
/// exactly from the seed it printed.
struct FuzzRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    mutating func pick<T>(_ options: [T]) -> T { options[Int.random(in: 0..<options.count, using: &self)] }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}

/// The seed of a fuzz run: `RISKKERNEL_FUZZ_SEED` when set (to repeat a run), else a new one.
/// Always printed, so that any failure can be reproduced.
enum FuzzSeed {
    static func resolve(_ name: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["RISKKERNEL_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("fuzz \(name): seed \(seed) (repeat with RISKKERNEL_FUZZ_SEED=\(seed))")
        return seed
    }
}

import Foundation
import SeededRandom

/// The fuzz tests' generator.
typealias FuzzRandom = SeededRandom

/// The seed of a fuzz run: `RISKKERNEL_FUZZ_SEED` when set (to repeat a run), else a new one.
/// Always printed, so that any failure can be reproduced.
enum FuzzSeed {
    static func resolve(_ name: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["RISKKERNEL_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("fuzz \(name): seed \(seed) (repeat with RISKKERNEL_FUZZ_SEED=\(seed))")
        return seed
    }
}

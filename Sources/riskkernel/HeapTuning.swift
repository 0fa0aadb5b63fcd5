import CRiskKernelHeap
import Foundation

/// glibc's heap, tuned for a process that passes large messages through (the gateway, the LLM
/// proxy). By default glibc maps a block of 128 KiB or more on its own and gives free memory at the
/// top of a heap back to the kernel once it exceeds 128 KiB (both limits move with use), so a
/// process that allocates and frees a message of some hundred KiB per call pays for fresh pages,
/// a page fault for every 4 KiB, at every call (measured in BENCHMARKS.md). Blocks up to
/// ``mmapThreshold`` come from the heap instead, and up to ``trimThreshold`` of free memory at a
/// heap's top is kept for the next message.
///
/// A limit given in glibc's own environment variables (`MALLOC_MMAP_THRESHOLD_`,
/// `MALLOC_TRIM_THRESHOLD_`) is left as given. Other C libraries are left alone.
enum HeapTuning {
    /// 4 MiB, in bytes.
    static let mmapThreshold: Int32 = 4 << 20
    /// 8 MiB, in bytes.
    static let trimThreshold: Int32 = 8 << 20

    static func apply() {
        let environment = ProcessInfo.processInfo.environment
        _ = rk_heap_set_thresholds(
            environment["MALLOC_MMAP_THRESHOLD_"] == nil ? mmapThreshold : 0, environment["MALLOC_TRIM_THRESHOLD_"] == nil ? trimThreshold : 0)
    }
}

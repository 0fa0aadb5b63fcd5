import Synchronization

/// Whether the client cancelled a call while its decision waited for its group commit. The
/// decision is made on whichever thread writes the group, so it reads this flag rather than the
/// session's state; a call cancelled before its group is written is then not recorded (its
/// `decide` throws, which records nothing).
final class DecisionCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)

    func cancel() {
        cancelled.store(true, ordering: .relaxed)
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

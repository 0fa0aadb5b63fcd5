import Synchronization

/// A price table built the first time it is asked for, then kept.
///
/// The built-in table (about 2,000 models from genai-prices) takes about 20 ms of CPU and 5 MiB to
/// parse, which a gateway would otherwise pay at every start before answering `initialize`, and
/// which most gateways never need (only `riskkernel/recordModelCall` prices anything). A table
/// that fails to build fails every use with the same error.
public final class DeferredPriceTable: Sendable {
    private let state: Mutex<State>

    private enum State {
        case pending(@Sendable () throws -> PriceTable)
        case built(Result<PriceTable, any Error>)
    }

    /// A table built by `build` on first use.
    public init(_ build: @escaping @Sendable () throws -> PriceTable) {
        state = Mutex(.pending(build))
    }

    /// A table already built.
    public init(_ table: PriceTable) {
        state = Mutex(.built(.success(table)))
    }

    /// The table, built now if it was not yet; rethrows the error of a build that failed.
    public func table() throws -> PriceTable {
        try state.withLock { state in
            if case .pending(let build) = state { state = .built(Result { try build() }) }
            guard case .built(let result) = state else { preconditionFailure("a price table is built once") }
            return try result.get()
        }
    }
}

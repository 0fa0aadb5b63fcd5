import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore
import Synchronization

/// The proxy's side of the ledger: which run a call belongs to, whether it may go, and what it cost.
struct ModelSpendRecorder: Sendable {
    /// The fact namespace that flags a model call recorded from a stream that was cut.
    static let incompleteNamespace = "riskkernel.llm-proxy.incomplete"

    let store: any Store
    let configuration: LLMProxyConfiguration
    /// The proxy's own run, for calls outside a session.
    let proxyRunId: String
    let logger: Logger
    /// The sessions whose run exists already, so that a call reads the store once (its governance state), not twice.
    let openedSessions = OpenedSessions()

    /// The run a call records into: the session's (created with the proxy's policy on first use) or
    /// the proxy's own. Throws ``StoreError/invalidArgument(_:)`` for a bad session key.
    func runId(session: String?) async throws -> String {
        guard let session else { return proxyRunId }
        if openedSessions.contains(session) { return SessionRuns.runId(key: session) }
        let id = try await SessionRuns.open(key: session, policyRef: configuration.policyRef, budget: configuration.budget, in: store).id
        openedSessions.insert(session)
        return id
    }

    /// Why a call of the run may not go (it or an ancestor is halted, or a budget in force is
    /// spent), or `nil` when it may.
    func stopReason(runId: String) async throws -> String? {
        try await store.governanceState(runId: runId).stopReason
    }

    /// Prices and records a call; a call whose response reported no usage and was not cut (an
    /// error answer) is not recorded. A cut stream is recorded with the usage seen and flagged by a
    /// fact in ``incompleteNamespace`` keyed by its ledger entry.
    func record(runId: String, provider: String, requestedModel: String?, reading: ModelCallReading, cut: Bool) async {
        guard reading.usage != nil || cut else { return }
        let usage = reading.usage ?? ModelUsage()
        let model = reading.model ?? requestedModel ?? "unknown"
        let price = configuration.prices.price(provider: provider, model: model)
        let dollars = price?.cost(usage) ?? .zero
        if price == nil {
            logger.warning("model \(provider)/\(model) is not in the price table: recorded as unpriced (0 dollars); add it with --prices FILE")
        }
        do {
            let spend = try await store.recordModelCall(runId: runId, NewModelCall(
                provider: provider, model: model, promptTokens: usage.inputTokens, completionTokens: usage.outputTokens,
                cachedPromptTokens: usage.cacheReadTokens, dollars: dollars, priced: price != nil, responseId: reading.responseId))
            logger.info("recorded \(provider)/\(model) in run \(runId): \(usage.inputTokens) input, \(usage.outputTokens) output tokens, \(dollars)\(cut ? " (stream cut)" : "")")
            if cut {
                _ = try await store.putFact(
                    namespace: Self.incompleteNamespace, key: spend.entry.id,
                    value: [
                        "ledgerEntryId": .string(spend.entry.id), "api": .string(reading.api.rawValue),
                        "usageSeen": .bool(reading.usage != nil), "reason": "the response stream ended before its last event",
                    ],
                    runId: runId)
                logger.warning("run \(runId): a \(provider)/\(model) stream was cut; recorded what was seen (ledger entry \(spend.entry.id))")
            }
            if let reason = spend.haltReason { logger.warning("run \(runId) is halted: \(reason)") }
        } catch {
            logger.error("could not record a \(provider)/\(model) call in run \(runId): \(error)")
        }
    }
}

/// The keys of the sessions whose runs the proxy has seen in the store (runs are never deleted).
final class OpenedSessions: Sendable {
    private let keys = Mutex<Set<String>>([])

    func contains(_ key: String) -> Bool { keys.withLock { $0.contains(key) } }
    func insert(_ key: String) { _ = keys.withLock { $0.insert(key) } }
}

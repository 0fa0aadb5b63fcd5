import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

#if canImport(Glibc)
import Glibc
#endif

/// Runs `riskkernel gateway`: one run, one upstream server, the client on stdin and stdout.
public enum Gateway {
    /// How the gateway stopped.
    enum Ending: Sendable {
        case clientClosed
        case upstreamClosed
        case signal(Int32)
    }

    /// Runs until the client closes stdin, a SIGTERM or SIGINT arrives, or the upstream exits.
    ///
    /// Returns the process exit status: 0 after a clean shutdown, 1 when the upstream server exited
    /// on its own (its in-flight requests are failed and the run is marked `failed`; the gateway does
    /// not restart it, because a restarted server has lost the session the client negotiated), 2 when
    /// the gateway could not start.
    ///
    /// `spawned` is the upstream when the caller has already started it (so that its start-up
    /// overlaps the gateway's own); otherwise it is started here, before the run is recorded.
    public static func run(
        configuration: GatewayConfiguration, store: any Store, logger: Logger,
        input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, tracer: (any GatewayTracer)? = nil,
        spawned: Result<UpstreamProcess, any Error>? = nil
    ) async -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let spawned = spawned ?? Result { try UpstreamProcess(command: configuration.upstreamCommand, environment: configuration.upstreamEnvironment) }
        let run: RunRecord
        do {
            run = try await startRun(configuration: configuration, store: store, logger: logger)
        } catch {
            logger.critical("cannot start the run: \(error)")
            if case .success(let upstream) = spawned { _ = await upstream.shutDown(grace: .seconds(1)) }
            return 2
        }
        await claim(run.id, store: store, logger: logger)
        let upstream: UpstreamProcess
        switch spawned {
        case .success(let process):
            upstream = process
        case .failure(let error):
            logger.critical("\(error)")
            _ = try? await store.setRunStatus(id: run.id, status: .failed, reason: "\(error)")
            await recoverAbandonedRuns(store: store, sparing: run.id, logger: logger)
            return 2
        }
        // Ending what dead gateways left behind need not hold up the first call.
        let recovery = Task { await recoverAbandonedRuns(store: store, sparing: run.id, logger: logger) }
        logger.info("run \(run.id) started: policy \(configuration.policyRef), upstream \(configuration.upstreamCommand.joined(separator: " ")) (pid \(upstream.processIdentifier))")

        let approvalSecret: [UInt8]
        do {
            approvalSecret = try await store.approvalMatchSecret()
        } catch {
            logger.critical("cannot read the store's approval secret: \(error)")
            _ = await upstream.shutDown(grace: .seconds(1))
            _ = try? await store.setRunStatus(id: run.id, status: .failed, reason: "\(error)")
            return 2
        }
        let session = GatewaySession(
            configuration: configuration, store: store, runId: run.id, client: LineWriter(fileDescriptor: output),
            upstream: upstream.writer, logger: logger, approvalSecret: approvalSecret, tracer: tracer)
        if configuration.resumeRunId != nil {
            if configuration.autoCheckpoints.contains(.policyChange), run.policyRef != configuration.policyRef {
                logger.notice("run \(run.id) resumes under policy \(configuration.policyRef) (was \(run.policyRef ?? "none"))")
                await session.autoCheckpoint(
                    name: "policy-change",
                    payload: ["from": run.policyRef.map(JSONValue.string) ?? .null, "to": .string(configuration.policyRef)])
            }
        }

        // The session's side work runs in one task group for its life; the run ends after it.
        let sideWork = Task { await session.runSideWork() }
        defer { sideWork.cancel() }
        let (endings, ending) = AsyncStream.makeStream(of: Ending.self)
        let (upstreamEnded, upstreamEnd) = AsyncStream.makeStream(of: Void.self)
        session.serveUpstream(from: upstream.outputFileDescriptor) {
            upstreamEnd.finish()
            ending.yield(.upstreamClosed)
        }
        session.serveClient(from: input) { ending.yield(.clientClosed) }
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT]) { ending.yield(.signal($0)) }
        defer { signals.cancel() }

        var iterator = endings.makeAsyncIterator()
        let first = await iterator.next() ?? .clientClosed
        switch first {
        case .upstreamClosed:
            let status = await upstream.waitForExitBriefly()
            // It closed its output but still runs, or it exited and left children in its process
            // group: stop them, so that nothing is left behind.
            _ = await upstream.shutDown(grace: .seconds(1))
            let reason = status.map { "the upstream server exited with status \($0)" } ?? "the upstream server closed its output"
            logger.error("\(reason); failing in-flight requests and ending run \(run.id) as failed")
            await session.upstreamClosed(exitStatus: status)
            await session.beginShutdown()
            await session.waitUntilIdle(timeout: .seconds(10))
            await session.finish(status: .failed, reason: reason)
            await endSideWork(of: session, running: sideWork)
            await recovery.value
            return 1
        case .clientClosed, .signal:
            if case .signal(let number) = first { logger.notice("received signal \(number); shutting down") }
            await session.beginShutdown()
            await session.waitUntilIdle(timeout: .seconds(10))
            let status = await upstream.shutDown()
            logger.info("upstream server exited with status \(status)")
            _ = await withTaskGroup(of: Void.self) { group in
                group.addTask { for await _ in upstreamEnded {} }
                group.addTask { try? await Task.sleep(for: .seconds(2)) }
                await group.next()
                group.cancelAll()
            }
            await session.upstreamClosed(exitStatus: nil)
            // The last responses' outcomes (and any tool charges) are written before the run ends.
            await session.waitUntilIdle(timeout: .seconds(10))
            await session.finish(status: .completed, reason: nil)
            await endSideWork(of: session, running: sideWork)
            await recovery.value
            return 0
        }
    }

    /// Lets the session's side work run to its end (at most 10 s more), then returns.
    static func endSideWork(of session: GatewaySession, running sideWork: Task<Void, Never>) async {
        await session.finishSideWork()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await sideWork.value }
            group.addTask { try? await Task.sleep(for: .seconds(10)) }
            await group.next()
            group.cancelAll()
        }
    }

    static func startRun(configuration: GatewayConfiguration, store: any Store, logger: Logger) async throws -> RunRecord {
        if let runId = configuration.resumeRunId {
            guard let run = try await store.run(id: runId) else { throw StoreError.notFound("run \(runId)") }
            guard run.status != .merged, run.status != .discarded else {
                throw StoreError.invalidArgument("run \(runId) is \(run.status.rawValue) and cannot be resumed")
            }
            let resumed = run.status == .halted ? run : try await store.setRunStatus(id: runId, status: .running, reason: "resumed")
            logger.info("resuming run \(runId): \(resumed.usage.totalTokens) tokens, \(resumed.usage.dollars), \(resumed.usage.loops) steps so far")
            return resumed
        }
        return try await store.createRun(NewRun(
            name: configuration.runName, parentRunId: configuration.parentRunId, policyRef: configuration.policyRef,
            budget: configuration.budget, metadata: configuration.metadata))
    }
}

extension UpstreamProcess {
    /// The exit status if the process exits within a second.
    func waitForExitBriefly() async -> Int32? {
        for _ in 0..<50 {
            if let status = exited { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exited
    }
}

/// Calls a handler when one of the given signals arrives, instead of the default action.
/// (Unchecked: the sources are set once in `init`, and cancelling a source is thread-safe.)
final class SignalWatcher: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}

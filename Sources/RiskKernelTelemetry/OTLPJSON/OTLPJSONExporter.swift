import AsyncHTTPClient
import Logging

/// Posts queued spans to the collector as OTLP/JSON (`POST` of `application/json` to the traces
/// endpoint), in batches, one request at a time, from ``run()``: every schedule delay, when a full
/// batch is waiting, and a last time when ``finish()`` is called.
///
/// A batch the collector refuses or does not answer in time is dropped (with a warning when exports
/// start failing, and a note when they work again); nothing is retried.
actor OTLPJSONExporter {
    /// Where spans wait; spans append to it directly, never through the actor.
    nonisolated let queue: SpanQueue
    private let configuration: OTLPJSONConfiguration
    private let logger: Logger
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private var failing = false
    private var droppedInQueue = 0

    init(configuration: OTLPJSONConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        queue = SpanQueue(capacity: configuration.maxQueueSize, batchSize: configuration.maxExportBatchSize, wake: wake)
    }

    /// Exports until ``finish()``, then exports what is left and returns. Cancelling it stops the
    /// request under way and drops what is left.
    func run() async {
        let wake = wake
        let delay = configuration.scheduleDelay
        await withDiscardingTaskGroup { group in
            group.addTask {
                while (try? await Task.sleep(for: delay)) != nil { wake.yield() }
            }
            for await _ in wakeups { await exportQueued() }
            group.cancelAll()
        }
        await exportQueued()
        if droppedInQueue > 0 {
            logger.warning("OpenTelemetry: \(droppedInQueue) spans were dropped in all because the export queue was full")
        }
    }

    /// Asks ``run()`` to export what is queued and return.
    nonisolated func finish() {
        wake.finish()
    }

    /// Sends every queued span, a batch per request.
    func exportQueued() async {
        let dropped = queue.takeDroppedCount()
        if dropped > 0 {
            if droppedInQueue == 0 {
                logger.warning("OpenTelemetry: the export queue is full (\(queue.capacity) spans): spans are dropped until the collector catches up")
            }
            droppedInQueue += dropped
        }
        while !Task.isCancelled {
            let batch = queue.take(atMost: configuration.maxExportBatchSize)
            if batch.isEmpty { return }
            await send(batch)
        }
    }

    private func send(_ batch: [RecordedSpan]) async {
        var request = HTTPClientRequest(url: configuration.endpoint)
        request.method = .POST
        for name in configuration.headers.keys.sorted() {
            request.headers.add(name: name, value: configuration.headers[name]!)
        }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.headers.replaceOrAdd(name: "User-Agent", value: "riskkernel")
        request.body = .bytes(OTLPJSONEncoder.body(spans: batch, resourceAttributes: configuration.resourceAttributes))
        let problem: String?
        do {
            let (seconds, attoseconds) = configuration.timeout.components
            let response = try await HTTPClient.shared.execute(
                request, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
            _ = try? await response.body.collect(upTo: 1 << 20)
            problem = (200..<300).contains(response.status.code) ? nil : "the collector answered HTTP \(response.status.code)"
        } catch {
            problem = "\(error)"
        }
        if let problem {
            if !failing {
                logger.warning("OpenTelemetry: exporting spans to \(configuration.endpoint) failed (\(problem)); \(batch.count) spans dropped")
            } else {
                logger.debug("OpenTelemetry: export failed again (\(problem)); \(batch.count) spans dropped")
            }
            failing = true
        } else if failing {
            failing = false
            logger.notice("OpenTelemetry: exporting spans to \(configuration.endpoint) works again")
        }
    }
}

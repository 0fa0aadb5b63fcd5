import Foundation
import PostgresNIO

extension PostgresStore: StoreChangeObserving {
    /// Listens (on connections of its own) for the `NOTIFY` of every new and decided approval, and
    /// yields every ``StoreChangeTiming/fallbackInterval`` besides, for what has no notification
    /// (spend, runs) and for a notification missed while a connection was being made again.
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let configuration = self.configuration
        let task = Task {
            continuation.yield()
            await withTaskGroup(of: Void.self) { group in
                for channel in [Self.requestsChannel, Self.decisionsChannel] {
                    group.addTask { await Self.forwardNotifications(configuration, channel: channel, to: continuation) }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: StoreChangeTiming.fallbackInterval)
                        continuation.yield()
                    }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Yields on each notification of `channel` until cancelled, making the connection again
    /// (every half second) when it drops.
    private static func forwardNotifications(
        _ configuration: PostgresStoreConfiguration, channel: String, to continuation: AsyncStream<Void>.Continuation
    ) async {
        while !Task.isCancelled {
            if let connection = try? await PostgresConnectionPool.connect(configuration, id: 0) {
                // Closing the connection ends the notifications, so cancellation ends the wait.
                await withTaskCancellationHandler {
                    try? await connection.listen(on: channel) { notifications in
                        continuation.yield()
                        for try await _ in notifications { continuation.yield() }
                    }
                } onCancel: {
                    PostgresConnectionPool.close(connection)
                }
                PostgresConnectionPool.close(connection)
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}

import Foundation
import GRDB

extension SQLiteStore: StoreChangeObserving {
    /// Reads `PRAGMA data_version` on a read-only connection of its own every
    /// ``StoreChangeTiming/sqlitePollInterval``: the value moves whenever another connection (of
    /// this process or another) commits, which is every write of the store.
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let path = self.path
        let task = Task {
            continuation.yield()
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(5)
            guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return continuation.finish() }
            var last: Int?
            while !Task.isCancelled {
                if let version = try? await queue.read({ db in try Int.fetchOne(db, sql: "PRAGMA data_version") }) {
                    if last != nil, version != last { continuation.yield() }
                    last = version
                }
                try? await Task.sleep(for: StoreChangeTiming.sqlitePollInterval)
            }
            try? queue.close()
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

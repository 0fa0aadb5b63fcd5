import Foundation
import GRDB
import GRDBSQLite

/// Checkpoints a SQLite file's write-ahead log on a thread of its own, so that writes seldom wait
/// for one.
///
/// By default SQLite checkpoints inside every commit that finds the log over 1,000 pages, and with
/// `synchronous=NORMAL` a checkpoint syncs the files: one write in a few hundred then takes
/// milliseconds. Installed on a store's connections, this replaces that automatic checkpoint: each
/// time the log grows by another 1,000 pages, a background thread runs a `PASSIVE` checkpoint
/// (which never blocks writers or readers) on a connection of its own. A log that a busy writer
/// keeps growing is never wholly copied in the background, and only a wholly copied log starts over;
/// so at 8,000 pages the writing connection checkpoints itself, as SQLite would, at a small cost
/// since the background has copied most of it. The thread starts on the first request and ends after
/// a few idle seconds. Commits are exactly as durable as before: a commit is in the log before it
/// returns, whoever checkpoints it later.
final class WALCheckpointer: @unchecked Sendable {
    /// Log growth, in pages, between background checkpoints (SQLite's own automatic threshold).
    static let backgroundPages: Int32 = 1000
    /// The log size, in pages, at which the writing connection checkpoints itself.
    static let inlinePages: Int32 = 8000
    private let path: String
    private let condition = NSCondition()
    private var requested = false
    private var running = false
    /// The log size at which the next background checkpoint is requested.
    private var nextRequestAt = WALCheckpointer.backgroundPages

    init(path: String) {
        self.path = path
    }

    /// Replaces the connection's automatic checkpoint with this checkpointer. The checkpointer
    /// must outlive the connection (the store keeps both).
    func install(on db: Database) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(db.sqliteConnection, { context, connection, _, pages in
            if pages >= WALCheckpointer.inlinePages {
                // Called after the commit, outside any transaction: the commit is already in the log.
                sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if let context {
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(logPages: pages)
            }
            return SQLITE_OK
        }, context)
    }

    /// Notes the log's size after a commit; requests a checkpoint each time it has grown by
    /// ``backgroundPages`` since the last request.
    func committed(logPages pages: Int32) {
        condition.lock()
        if pages < nextRequestAt - Self.backgroundPages {
            // The log started over.
            nextRequestAt = Self.backgroundPages
        }
        let due = pages >= nextRequestAt
        if due { nextRequestAt = pages + Self.backgroundPages }
        condition.unlock()
        if due { request() }
    }

    /// Asks for a checkpoint soon; returns at once.
    func request() {
        condition.lock()
        defer { condition.unlock() }
        requested = true
        if running {
            condition.signal()
            return
        }
        running = true
        let thread = Thread { [self] in checkpointUntilIdle() }
        thread.name = "riskkernel-checkpoint"
        thread.start()
    }

    private func checkpointUntilIdle() {
        var connection: DatabaseQueue?
        while true {
            condition.lock()
            if !requested { _ = condition.wait(until: Date().addingTimeInterval(5)) }
            guard requested else {
                running = false
                condition.unlock()
                break
            }
            requested = false
            condition.unlock()
            do {
                if connection == nil {
                    var configuration = Configuration()
                    configuration.busyMode = .timeout(1)
                    connection = try DatabaseQueue(path: path, configuration: configuration)
                }
                try connection?.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            } catch {
                // The next request tries again; until then the log just grows.
                connection = nil
            }
        }
        try? connection?.close()
    }
}

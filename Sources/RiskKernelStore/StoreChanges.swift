import Foundation

/// A store that can tell when it may have changed, whatever process or host wrote it.
///
/// The signal is a hint to read again, not a description of the change: a reader (the approvals
/// console's live page) reads what it shows afresh after each element. SQLite yields when
/// `PRAGMA data_version` of a connection of its own moves (any other connection committed);
/// PostgreSQL yields on the `NOTIFY` of a new or decided approval, and every
/// ``fallbackInterval`` in case a notification was missed.
public protocol StoreChangeObserving: Sendable {
    /// Yields once at once, then after each change seen; ends when the consumer stops iterating.
    func changes() -> AsyncStream<Void>
}

/// The timings of the change signals.
public enum StoreChangeTiming {
    /// How often SQLite's `data_version` is read (a read of the connection's own page-cache counter, no I/O).
    public static let sqlitePollInterval: Duration = .milliseconds(100)
    /// How often PostgreSQL's watchers read again without a notification.
    public static let fallbackInterval: Duration = .seconds(2)
}

/// How a running console keeps its record in the store (``Store/registerConsole(url:owner:)``) fresh.
public enum ConsoleHeartbeat {
    /// How often a console refreshes its record.
    public static let interval: Duration = .seconds(10)
    /// How old a record may be and still name a running console: three heartbeats.
    public static let freshness: TimeInterval = 30

    /// The approval's page on a console at `consoleURL`.
    public static func approvalURL(consoleURL: String, approvalId: String) -> String {
        "\(consoleURL)/approvals/\(approvalId)"
    }
}

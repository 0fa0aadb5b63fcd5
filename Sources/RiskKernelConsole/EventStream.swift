import Foundation
import Hummingbird
import RiskKernelCore
import RiskKernelStore

/// `GET /api/events`: server-sent events, one `approvals` event whenever the approvals change.
///
/// On connecting, and after each change the store signals (``StoreChangeObserving``), the
/// approvals are read; when they differ from the last sent, an event goes out:
///
///     event: approvals
///     data: {"pending":[…approvals as GET /api/approvals?status=pending…],"version":N}
///
/// `version` counts the events of this stream. The page reads the rendered list again on each.
enum EventStream {
    static func response(feed: ChangeFeed, store: any Store) -> Response {
        let updates = feed.subscribe()
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                var last: [ApprovalRecord]?
                var version = 0
                for await _ in updates {
                    let all = try await store.listApprovals(status: nil, runId: nil)
                    let now = Date()
                    // What the page shows: the pending ones and the latest decisions.
                    let shown = Array(all.prefix(200)).map { $0.asOf(now) }
                    guard shown != last else { continue }
                    last = shown
                    version += 1
                    let pending = shown.filter { $0.status == .pending }
                    let data = CanonicalJSON.string(["pending": .array(pending.map(\.json)), "version": .integer(Int64(version))], numbers: .asWritten)
                    try await writer.write(ByteBuffer(string: "event: approvals\ndata: \(data)\n\n"))
                }
                try await writer.finish(nil)
            })
    }
}

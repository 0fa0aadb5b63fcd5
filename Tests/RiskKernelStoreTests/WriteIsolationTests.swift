import Foundation
import GRDB
@testable import RiskKernelStore
import SeededRandom
import Testing

/// One write of a test group: the rows it inserts, and where it throws, if it does.
private struct ScratchWrite: Sendable, CustomStringConvertible {
    /// Rows inserted before the throw (all of them when `fails` is false).
    var rows: Int
    var fails: Bool

    var description: String { "\(rows) rows\(fails ? ", then fails" : "")" }
}

private struct ScratchFailure: Error, Equatable {
    let item: Int
}

/// What a group written by ``SQLiteStore/writeGroup(_:_:onCallingThread:written:)`` reported, and
/// which isolation each attempt used.
private final class GroupRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _results: [Int: Result<Int, ScratchFailure>] = [:]
    private var _isolations: [SQLiteStore.WriteIsolation] = []
    private var _groupError: (any Error)?

    func report(_ item: Int, _ result: Result<Int, ScratchFailure>) { lock.withLock { _results[item] = result } }
    func attempted(_ isolation: SQLiteStore.WriteIsolation) { lock.withLock { _isolations.append(isolation) } }
    func groupFailed(_ error: any Error) { lock.withLock { _groupError = error } }
    var results: [Int: Result<Int, ScratchFailure>] { lock.withLock { _results } }
    /// The error that failed every entry of the group (`fail`), if one did.
    var groupError: (any Error)? { lock.withLock { _groupError } }
    var isolations: [SQLiteStore.WriteIsolation] { lock.withLock { _isolations } }
}

@Suite("SQLite group commit: a failing write fails alone, with or without savepoints")
struct WriteIsolationTests {
    /// Writes `writes` as one group of one-write entries, each inserting its rows into `scratch`
    /// and throwing where it says; returns what each reported and the rows left.
    private func writeGroup(_ writes: [ScratchWrite], onCallingThread: Bool) async throws
        -> (recorder: GroupRecorder, rows: [Int: Int])
    {
        let store = try SQLiteStore(path: TemporaryFiles.newDirectory() + "/isolation.sqlite")
        try await store.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (item INTEGER NOT NULL)") }
        let recorder = GroupRecorder()
        let entries = writes.enumerated().map { item, write in
            SQLiteStore.Entry(count: 1, make: { db, isolation in
                if item == 0 { recorder.attempted(isolation) }
                let results = try SQLiteStore.writeItems(db, [write], isolation: isolation) { db, write in
                    for _ in 0..<write.rows { try db.execute(sql: "INSERT INTO scratch (item) VALUES (?)", arguments: [item]) }
                    if write.fails { throw ScratchFailure(item: item) }
                    return write.rows
                }
                let result = results[0].mapError { $0 as! ScratchFailure }
                return { recorder.report(item, result) }
            }, fail: { error in recorder.groupFailed(error) })
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            SQLiteStore.writeGroup(store.pool, entries, onCallingThread: onCallingThread) { continuation.resume() }
        }
        let counts = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT item, count(*) FROM scratch GROUP BY item").map { (row: Row) -> (Int, Int) in (row[0], row[1]) }
        }
        return (recorder, Dictionary(uniqueKeysWithValues: counts))
    }

    @Test("a write that fails after inserting rows: the group is written again with savepoints, and only that write fails")
    func failureAfterChanges() async throws {
        let (recorder, rows) = try await writeGroup(
            [ScratchWrite(rows: 2, fails: false), ScratchWrite(rows: 1, fails: true), ScratchWrite(rows: 3, fails: false)], onCallingThread: false)
        #expect(recorder.isolations == [.optimistic, .savepoints])
        #expect(recorder.groupError == nil)
        #expect(recorder.results[0] == .success(2))
        #expect(recorder.results[1] == .failure(ScratchFailure(item: 1)))
        #expect(recorder.results[2] == .success(3))
        #expect(rows == [0: 2, 2: 3])
    }

    @Test("a write that fails before changing anything fails alone in the first attempt, with no savepoints")
    func failureBeforeChanges() async throws {
        let (recorder, rows) = try await writeGroup(
            [ScratchWrite(rows: 1, fails: false), ScratchWrite(rows: 0, fails: true), ScratchWrite(rows: 1, fails: false)], onCallingThread: true)
        #expect(recorder.isolations == [.optimistic])
        #expect(recorder.groupError == nil)
        #expect(recorder.results[0] == .success(1))
        #expect(recorder.results[1] == .failure(ScratchFailure(item: 1)))
        #expect(recorder.results[2] == .success(1))
        #expect(rows == [0: 1, 2: 1])
    }

    @Test("a lone write's error is its own, and it leaves nothing")
    func loneWrite() async throws {
        let (recorder, rows) = try await writeGroup([ScratchWrite(rows: 2, fails: true)], onCallingThread: false)
        #expect(recorder.isolations == [.lone])
        #expect(recorder.results[0] == nil)
        #expect(recorder.groupError as? ScratchFailure == ScratchFailure(item: 0), "a lone write's error fails its entry, through `fail`")
        #expect(rows.isEmpty)
    }

    @Test("property: over random groups, each write that succeeds leaves all its rows, each that fails leaves none and reports its own error")
    func randomGroups() async throws {
        var generator = SeededRandom(seed: 0x5AFE)
        for _ in 0..<60 {
            let count = Int.random(in: 2...12, using: &generator)
            let writes = (0..<count).map { _ in
                ScratchWrite(rows: Int.random(in: 0...3, using: &generator), fails: Int.random(in: 0..<4, using: &generator) == 0)
            }
            let (recorder, rows) = try await writeGroup(writes, onCallingThread: Bool.random(using: &generator))
            for (item, write) in writes.enumerated() {
                if write.fails {
                    #expect(recorder.results[item] == .failure(ScratchFailure(item: item)), "\(writes)")
                    #expect(rows[item] == nil, "\(writes)")
                } else {
                    #expect(recorder.results[item] == .success(write.rows), "\(writes)")
                    #expect(rows[item] == (write.rows == 0 ? nil : write.rows), "\(writes)")
                }
            }
            #expect(recorder.groupError == nil, "\(writes)")
            let retried = writes.contains { $0.fails && $0.rows > 0 }
            #expect(recorder.isolations == (retried ? [.optimistic, .savepoints] : [.optimistic]), "\(writes)")
        }
    }
}

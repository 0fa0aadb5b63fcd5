import Foundation
import Logging
import RiskKernelProvenance
import RiskKernelStore

/// The seal file: one seal (a DSSE envelope as one line of JSON) per line, appended to and never
/// rewritten, so that it can be kept away from the database (copied elsewhere, or on another disk).
enum SealFile {
    /// The file `riskkernel audit seal --key DIR` appends to when `--seals` is not given.
    static func defaultPath(keyDirectory: String) -> String { (keyDirectory as NSString).appendingPathComponent("seals.jsonl") }

    /// Appends `seal` as one line (creating the file, mode 0644, when missing).
    static func append(_ seal: SealRecord, to path: String) throws {
        let line = Data((seal.envelope + "\n").utf8)
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]) else {
                throw CLIError("cannot create the seal file \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CLIError("cannot open the seal file \(path) for writing") }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
            try handle.synchronize()
        } catch {
            throw CLIError("cannot append to the seal file \(path): \(error.localizedDescription)")
        }
    }

    /// The seals of a file, one per non-empty line.
    static func read(_ path: String) throws -> [String] {
        try FileReading.text(path).split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}

/// Signs the current chain heads and appends the seal to the store and the seal file.
struct ChainSealer: Sendable {
    let store: any Store
    let signers: [any BundleSigner]
    let sealFile: String

    /// Seals every run's head now; returns the seal and how many heads it signs.
    @discardableResult
    func seal() async throws -> (record: SealRecord, heads: Int) {
        let heads = try await store.chainHeads()
        let record = try ChainSeals.make(heads: heads, at: Timestamps.now(), signers: signers)
        try await store.appendSeal(record)
        try SealFile.append(record, to: sealFile)
        return (record, heads.count)
    }
}

extension ChainSealer {
    /// A sealer with the keys of `key` (a key directory), appending to `seals` (default: seals.jsonl there).
    init(key: String, seals: String?, store: any Store) throws {
        let signers: [any BundleSigner]
        do { signers = try KeyDirectory.load(from: key) } catch let error as KeyError { throw CLIError(error.description) }
        self.init(store: store, signers: signers, sealFile: seals ?? SealFile.defaultPath(keyDirectory: key))
    }
}

/// `gateway --seal-every SECONDS`: seals while the gateway runs, and once more when it ends.
struct PeriodicSealer: Sendable {
    let sealer: ChainSealer
    let every: Double
    let logger: Logger

    /// Runs `body` (the gateway) with the sealer beside it in a task group; when `body` returns, the
    /// sealer is cancelled, seals a last time, and `body`'s result is returned.
    static func running(_ sealer: PeriodicSealer?, _ body: @escaping @Sendable () async -> Int32) async -> Int32 {
        guard let sealer else { return await body() }
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await sealer.sealUntilCancelled(); return nil }
            group.addTask { await body() }
            var status: Int32 = 0
            for await result in group {
                if let result {
                    status = result
                    group.cancelAll()
                }
            }
            return status
        }
        await sealer.sealOnce()
        return status
    }

    func sealUntilCancelled() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(Int64(every * 1000))) } catch { return }
            await sealOnce()
        }
    }

    func sealOnce() async {
        do {
            let (record, heads) = try await sealer.seal()
            logger.info("sealed \(heads) chain head(s) at \(Timestamps.iso8601(record.sealedAt)) in \(sealer.sealFile)")
        } catch {
            logger.error("cannot seal the chain heads: \(error)")
        }
    }
}

import Foundation
import RiskKernelCore
import RiskKernelStore

/// Export and import of bundles against a store: the only part of bundles that does I/O.
public enum ProvenanceBundles {
    /// A signed bundle of `runId` and every run below it.
    public static func export(
        from store: any Store, runId: String, redaction: Redaction, signers: [any BundleSigner], now: Date = Date()
    ) async throws -> DSSEEnvelope {
        let tree = try await SessionTree.load(from: store, runId: runId)
        let records = try await store.provenanceRecords(runIds: tree.allRuns.map(\.id))
        return try BundleBuilder.build(rootRunId: runId, records: records, redaction: redaction, signers: signers, exportedAt: now)
    }

    /// What an import stored.
    public struct ImportResult: Sendable {
        public var verification: BundleVerification
        public var runIds: [String]
        public var events: Int
        public var records: Int
        /// The root's parent, when the database does not hold it and the root was stored without it.
        public var detachedParent: String?
    }

    /// A bundle that passed every check and may be stored.
    public struct PreparedImport: Sendable {
        public var verification: BundleVerification
        public var records: ProvenanceRecords
    }

    /// Verifies `bytes` (every check, with `trusted` required) and decides whether it can be imported,
    /// without touching any database: refuses a bundle that fails any check, a `full` bundle and a
    /// `content` bundle with sealed events.
    public static func prepareImport(_ bytes: [UInt8], trusting trusted: Set<String>) throws -> PreparedImport {
        guard !trusted.isEmpty else {
            throw BundleImportError(
                "import needs --trust DID: a validly signed bundle proves only who signed it, so name the signer(s) you trust; nothing was imported")
        }
        let verification = BundleVerifier.verify(bytes, trusting: trusted)
        if let failure = verification.firstFailure {
            throw BundleImportError("the bundle fails verification (\(failure.name): \(failure.detail)); nothing was imported", verification: verification)
        }
        guard let contents = verification.contents else { throw BundleImportError("the bundle could not be read; nothing was imported") }
        switch contents.redaction {
        case .full:
            throw BundleImportError(
                "this is a full-redaction bundle: it keeps only totals and chain heads, so there are no records to import; nothing was imported",
                verification: verification)
        case .content:
            let sealed = contents.sealed.values.reduce(0) { $0 + $1.count }
            if sealed > 0 {
                throw BundleImportError(
                    "\(sealed) event(s) of this content bundle are sealed (their bodies are withheld), so its chains could not be verified once stored; import a bundle exported with --redact none (or a content bundle of runs without metadata or failed tool calls); nothing was imported",
                    verification: verification)
            }
        case .none: break
        }
        return PreparedImport(verification: verification, records: contents.records)
    }

    /// Verifies and stores a bundle: ``prepareImport(_:trusting:)``, then ``importBundle(_:into:)``.
    public static func importBundle(_ bytes: [UInt8], trusting trusted: Set<String>, into store: any Store) async throws -> ImportResult {
        try await importBundle(try prepareImport(bytes, trusting: trusted), into: store)
    }

    /// Stores a verified bundle's records in one transaction; refuses, writing nothing, when the store
    /// already holds any of its runs. A root whose parent run the store lacks is stored without a parent.
    public static func importBundle(_ prepared: PreparedImport, into store: any Store) async throws -> ImportResult {
        var records = prepared.records
        for run in records.runs where try await store.run(id: run.id) != nil {
            throw BundleImportError("run \(run.id) already exists in this database; nothing was imported", verification: prepared.verification)
        }
        var detached: String?
        if let parent = records.runs.first?.parentRunId, try await store.run(id: parent) == nil {
            records.runs[0].parentRunId = nil
            detached = parent
        }
        do { try await store.importProvenance(records) } catch let error as StoreError {
            throw BundleImportError("\(error)", verification: prepared.verification)
        }
        let count = records.steps.count + records.toolCalls.count + records.ledger.count + records.approvals.count + records.checkpoints.count
            + records.attributions.count
        return ImportResult(
            verification: prepared.verification, runIds: records.runs.map(\.id), events: records.events.count, records: count, detachedParent: detached)
    }
}

/// An import that was refused; nothing was written.
public struct BundleImportError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public var verification: BundleVerification?

    public init(_ description: String, verification: BundleVerification? = nil) {
        self.description = description
        self.verification = verification
    }
}

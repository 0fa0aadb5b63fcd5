import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore

/// `doctor`'s look at one store: it opens (bringing its schema up to date), every run's hash chain
/// is intact, and every stored policy is valid. Returns the names of the stored policies, or nil
/// when the store cannot be opened.
enum DoctorStoreCheck {
    static func check(_ options: StoreOptions, report: inout DoctorReport) async -> Set<String>? {
        let shown = options.resolvedDatabaseURL.map(PostgresStoreConfiguration.redacted) ?? options.resolvedPath
        let subject = "store \(shown)"
        report.heading(subject)
        if options.resolvedDatabaseURL == nil, !FileManager.default.fileExists(atPath: options.resolvedPath) {
            report.warning(subject, "does not exist yet: no gateway has used it and no policy is stored in it",
                           fix: "it is created by the first gateway that uses it, or by `riskkernel policy apply FILE --db \(ShellQuote.quote(options.resolvedPath))`")
            return []
        }
        let store: any Store & MigrationStatusReporting
        do {
            store = try await options.openStore()
            let (applied, known) = try await store.migrationStatus()
            report.ok("opens; schema up to date (\(applied.count) of \(known.count) migrations)")
        } catch {
            report.problem(subject, "cannot be opened: \(error)", fix: "check the path or URL (--db, --database-url, $RISKKERNEL_DB, $RISKKERNEL_DATABASE_URL) and its permissions; `riskkernel migrate` shows the schema")
            return nil
        }
        do {
            let runs = try await store.listRuns(status: nil, limit: Int.max)
            var broken: [String] = []
            var events = 0
            for run in runs {
                let verification = ChainVerifier.verify(runId: run.id, events: try await store.events(runId: run.id), anchor: try await store.chainHead(runId: run.id))
                events += verification.events
                if let failure = verification.failure { broken.append("\(failure)") }
            }
            if broken.isEmpty {
                report.ok("\(runs.count) run(s), \(events) event(s), every hash chain intact")
            } else {
                for failure in broken {
                    report.problem(subject, "broken hash chain: \(failure)", fix: "the ledger was edited outside RiskKernel; `riskkernel audit verify` names each break; keep the file for investigation")
                }
            }
        } catch {
            report.problem(subject, "cannot be read: \(error)", fix: "check the database with `riskkernel audit verify`")
        }
        do {
            let records = try await store.listPolicies()
            var names: Set<String> = []
            for record in records {
                names.insert(record.name)
                do {
                    _ = try record.policy()
                } catch {
                    report.problem(subject, "stored policy \"\(record.name)\" is not valid: \(error)", fix: "fix its file and store it again with `riskkernel policy apply FILE`")
                }
            }
            if records.isEmpty {
                report.ok("no stored policies (gateways without --policy run the permissive default)")
            } else {
                report.ok("\(records.count) stored polic\(records.count == 1 ? "y" : "ies"): \(records.map(\.name).sorted().joined(separator: ", "))")
            }
            return names
        } catch {
            report.problem(subject, "cannot list policies: \(error)", fix: "check the database with `riskkernel migrate --status`")
            return []
        }
    }
}

import Foundation
import RiskKernelCore
import RiskKernelStore

/// A run and its descendants (sub-agents), as recorded through `--parent-run`.
public struct SessionTree: Sendable, Hashable {
    public var run: RunRecord
    public var children: [SessionTree]
    /// Whether children exist below the depth that was loaded.
    public var truncated: Bool

    /// Loads the tree under `runId`, `depth` levels deep (`nil`: all).
    public static func load(from store: any Store, runId: String, depth: Int? = nil) async throws -> SessionTree {
        guard let run = try await store.run(id: runId) else { throw StoreError.notFound("run \(runId)") }
        return try await load(from: store, run: run, depth: depth, level: 0)
    }

    private static func load(from store: any Store, run: RunRecord, depth: Int?, level: Int) async throws -> SessionTree {
        let children = try await store.childRuns(of: run.id)
        if let depth, level >= depth { return SessionTree(run: run, children: [], truncated: !children.isEmpty) }
        var nodes: [SessionTree] = []
        for child in children { nodes.append(try await load(from: store, run: child, depth: depth, level: level + 1)) }
        return SessionTree(run: run, children: nodes, truncated: false)
    }

    /// Every run in the tree, parents before children.
    public var allRuns: [RunRecord] { [run] + children.flatMap(\.allRuns) }

    /// The tree drawn with box-drawing characters, one run per line.
    public func rendered(describe: (RunRecord) -> String) -> String {
        var lines = [describe(run)]
        render(into: &lines, prefix: "", describe: describe)
        return lines.joined(separator: "\n")
    }

    private func render(into lines: inout [String], prefix: String, describe: (RunRecord) -> String) {
        for (index, child) in children.enumerated() {
            let last = index == children.count - 1
            lines.append(prefix + (last ? "└─ " : "├─ ") + describe(child.run))
            child.render(into: &lines, prefix: prefix + (last ? "   " : "│  "), describe: describe)
            if child.truncated { lines.append(prefix + (last ? "   " : "│  ") + "└─ …") }
        }
    }

    public var json: JSONValue {
        var node = run.json.objectValue ?? [:]
        node["children"] = .array(children.map(\.json))
        if truncated { node["truncated"] = true }
        return .object(node)
    }
}

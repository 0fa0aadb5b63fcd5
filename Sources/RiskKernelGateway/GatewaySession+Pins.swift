import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// Records the tools the upstream lists now against the pins of its server (pinning them all
    /// the first time the server is seen), and says which are held.
    func checkPins(_ definitions: [String: JSONValue]) async {
        let mode = configuration.policy.toolPinning
        guard mode != .off else { return }
        let server = configuration.serverName
        let tools = definitions.values.compactMap(ToolDefinition.init(tool:)).sorted { $0.name < $1.name }
        pinsUnverified = false
        do {
            let known = !(try await store.toolPins(server: server)).isEmpty
            let pins = try await store.observeTools(server: server, tools: tools, runId: runId)
            if !known, !pins.isEmpty {
                logger.notice("server identity \"\(server)\" is new: nothing was pinned for it before, so its \(pins.count) tool(s) are pinned as they are now. If this server was configured another way before, compare with `riskkernel tools list`; --server-name NAME keeps one identity")
            }
            toolPins = Dictionary(pins.map { ($0.tool, $0) }, uniquingKeysWith: { first, _ in first })
            for pin in pins where pin.status != .pinned && definitions[pin.tool] != nil {
                let what = pin.status == .new ? "is new since the server's tools were pinned" : "changed since it was pinned"
                let outcome = mode == .enforce ? "hidden and refused" : "forwarded (toolPinning: warn)"
                logger.warning("tool \(pin.tool) of server \(server) \(what); \(outcome) until approved: \(ToolPinApproval.command(server: server, tool: pin.tool, storeOptions: configuration.storeCommandOptions ?? ""))")
            }
        } catch {
            // Every tool then counts as new: refused under `enforce`.
            toolPins = [:]
            logger.error("could not check the tool pins of server \(server): \(error)")
        }
    }

    /// How the tool's definition compares with its pin, or `nil` when pins are not checked.
    func pinStatus(of tool: String) -> ToolPinStatus? {
        guard configuration.policy.toolPinning != .off else { return nil }
        if pinsUnverified { return .unverified }
        return toolPins[tool]?.status ?? .new
    }
}

import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

/// The `riskkernel/` methods the gateway answers itself and never forwards (Protocol/openrpc.json).
///
/// None of them can approve, deny, change a policy or raise a budget.
enum ExtensionMethods {
    static let prefix = "riskkernel/"
}

/// A bad `params` object, answered with -32602.
struct InvalidParams: Error {
    var message: String
}

extension GatewaySession {
    func answerExtension(id: JSONValue, method: String, params: JSONValue?) async {
        do {
            let result: JSONValue
            switch method {
            case "riskkernel/recordModelCall": result = try await tracingModelCall(params) { try await recordModelCall(params) }
            case "riskkernel/status": result = try await status()
            case "riskkernel/checkpoint": result = try await checkpoint(params)
            case "riskkernel/latestCheckpoint": result = try await latestCheckpoint()
            case "riskkernel/facts/put": result = try await putFact(params)
            case "riskkernel/facts/get": result = try await getFact(params)
            case "riskkernel/facts/list": result = try await listFacts(params)
            default:
                sendToClient(JSONRPC.errorResponse(id: id, code: JSONRPCErrorCode.methodNotFound, message: "Method not found: \(method)"))
                return
            }
            sendToClient(JSONRPC.resultResponse(id: id, result: result))
        } catch let error as InvalidParams {
            sendToClient(JSONRPC.errorResponse(id: id, code: JSONRPCErrorCode.invalidParams, message: "Invalid params: \(error.message)"))
        } catch let error as StoreError {
            let code = if case .invalidArgument = error { JSONRPCErrorCode.invalidParams } else if case .limitReached = error { JSONRPCErrorCode.invalidParams } else { JSONRPCErrorCode.internalError }
            sendToClient(JSONRPC.errorResponse(id: id, code: code, message: error.description))
        } catch {
            sendToClient(JSONRPC.errorResponse(id: id, code: JSONRPCErrorCode.internalError, message: "\(method) failed: \(error)"))
        }
    }

    func recordModelCall(_ params: JSONValue?) async throws -> JSONValue {
        let reader = ParamsReader(params)
        let provider = try reader.string("provider")
        let model = try reader.string("model")
        let promptTokens = try reader.count("promptTokens")
        let completionTokens = try reader.count("completionTokens")
        let cachedPromptTokens = try reader.count("cachedPromptTokens", required: false) ?? 0
        let responseId = try reader.string("responseId", required: false)
        let price = try configuration.prices.table().price(provider: provider, model: model)
        let dollars = price?.cost(promptTokens: promptTokens, completionTokens: completionTokens, cachedPromptTokens: cachedPromptTokens) ?? .zero
        if price == nil {
            logger.warning("model \(provider)/\(model) is not in the price table: recorded as unpriced (0 dollars); add it with --prices FILE")
        }
        let spend = try await store.recordModelCall(runId: runId, NewModelCall(
            provider: provider, model: model, promptTokens: promptTokens, completionTokens: completionTokens,
            cachedPromptTokens: cachedPromptTokens, dollars: dollars, priced: price != nil, responseId: responseId))
        // A child of a run whose budget is used up is stopped too, even when nothing halted that
        // ancestor (its gateway had ended, or its seconds ran out): the agent hears it here.
        var haltReason = spend.haltReason
        if haltReason == nil, spend.run.parentRunId != nil { haltReason = try await store.governanceState(runId: runId).stopReason }
        if let reason = haltReason { logger.warning("run \(runId) is halted: \(reason)") }
        if configuration.autoCheckpoints.contains(.steps), let step = spend.entry.step {
            await autoCheckpoint(name: "step-\(step)", payload: ["step": .integer(step), "usage": spend.run.usage.json])
        }
        var result: [String: JSONValue] = [
            "dollars": dollars.json, "priced": .bool(price != nil), "halted": .bool(haltReason != nil),
            "usage": spend.run.usage.json, "budget": spend.run.budget.json, "step": .integer(spend.entry.step ?? 0),
        ]
        if let reason = haltReason { result["haltReason"] = .string(reason) }
        if price == nil { result["warning"] = .string("model \"\(model)\" of provider \"\(provider)\" has no price; recorded as unpriced") }
        return .object(result)
    }

    /// Records a checkpoint the gateway takes by itself; reaching the run's limit is logged once and
    /// never fails the call that triggered it.
    func autoCheckpoint(name: String, payload: JSONValue) async {
        do {
            _ = try await store.createCheckpoint(runId: runId, name: name, payload: payload)
        } catch StoreError.limitReached(let message) {
            if !checkpointLimitLogged { logger.warning("automatic checkpoints stopped: \(message)") }
            checkpointLimitLogged = true
        } catch {
            logger.error("could not record checkpoint \(name): \(error)")
        }
    }

    func status() async throws -> JSONValue {
        let state = try await store.governanceState(runId: runId)
        let pending = try await store.listApprovals(status: .pending, runId: runId)
        var result: [String: JSONValue] = [
            "runId": .string(runId), "status": .string(state.run.status.rawValue), "policy": .string(configuration.policyRef),
            "usage": state.run.usage.json, "treeUsage": state.run.treeUsage.json,
            "budget": state.run.budget.json, "halted": .bool(state.stopReason != nil),
            "pendingApprovals": .array(pending.map { .string($0.id) }),
            "elapsedSeconds": .double(Date().timeIntervalSince(state.run.createdAt)),
        ]
        if let name = state.run.name { result["runName"] = .string(name) }
        if let parent = state.run.parentRunId { result["parentRunId"] = .string(parent) }
        if let reason = state.stopReason { result["haltReason"] = .string(reason) }
        return .object(result)
    }

    func checkpoint(_ params: JSONValue?) async throws -> JSONValue {
        let reader = ParamsReader(params)
        let name = try reader.string("name")
        let payload = reader.value("payload") ?? .null
        return try await store.createCheckpoint(runId: runId, name: name, payload: payload).json
    }

    func latestCheckpoint() async throws -> JSONValue {
        try await store.latestCheckpoint(runId: runId).map(\.json) ?? .null
    }

    func putFact(_ params: JSONValue?) async throws -> JSONValue {
        let reader = ParamsReader(params)
        guard let value = reader.value("value") else { throw InvalidParams(message: "value is required") }
        return try await store.putFact(
            namespace: try reader.string("namespace"), key: try reader.string("key"), value: value, runId: runId).json
    }

    func getFact(_ params: JSONValue?) async throws -> JSONValue {
        let reader = ParamsReader(params)
        return try await store.fact(namespace: try reader.string("namespace"), key: try reader.string("key")).map(\.json) ?? .null
    }

    func listFacts(_ params: JSONValue?) async throws -> JSONValue {
        let namespace = try ParamsReader(params).string("namespace", required: false)
        return ["facts": .array(try await store.listFacts(namespace: namespace).map(\.json))]
    }
}

/// Reads typed members of a request's `params`, throwing ``InvalidParams`` with the member's name.
struct ParamsReader {
    let members: [String: JSONValue]

    init(_ params: JSONValue?) {
        members = params?.objectValue ?? [:]
    }

    func value(_ name: String) -> JSONValue? {
        members[name].flatMap { $0 == .null ? nil : $0 }
    }

    func string(_ name: String) throws -> String {
        guard let text = try string(name, required: true) else { throw InvalidParams(message: "\(name) is required") }
        return text
    }

    func string(_ name: String, required: Bool) throws -> String? {
        guard let value = value(name) else {
            if required { throw InvalidParams(message: "\(name) is required (a string)") }
            return nil
        }
        guard case .string(let text) = value, !text.isEmpty else { throw InvalidParams(message: "\(name) must be a non-empty string") }
        return text
    }

    func count(_ name: String) throws -> Int64 {
        guard let number = try count(name, required: true) else { throw InvalidParams(message: "\(name) is required") }
        return number
    }

    func count(_ name: String, required: Bool) throws -> Int64? {
        guard let value = value(name) else {
            if required { throw InvalidParams(message: "\(name) is required (a non-negative integer)") }
            return nil
        }
        guard let number = value.int64Value, number >= 0 else {
            throw InvalidParams(message: "\(name) must be a non-negative integer")
        }
        guard number <= SpendLimits.maxTokensPerCall else {
            throw InvalidParams(message: "\(name) must be at most \(SpendLimits.maxTokensPerCall)")
        }
        return number
    }
}

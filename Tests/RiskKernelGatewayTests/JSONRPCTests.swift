import RiskKernelCore
import RiskKernelGateway
import Testing

@Suite("JSON-RPC classification")
struct JSONRPCTests {
    func classify(_ text: String) -> Result<JSONRPCMessage, JSONRPCRejection> {
        JSONRPC.classify(Array(text.utf8)).map(\.0)
    }

    func code(_ text: String) -> Int64? {
        if case .failure(let rejection) = classify(text) { return rejection.code }
        return nil
    }

    @Test("requests, notifications and responses")
    func shapes() {
        #expect(classify(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#) == .success(.request(id: 1, method: "tools/list", params: nil)))
        #expect(classify(#"{"jsonrpc":"2.0","id":"a","method":"x","params":{"k":1}}"#) == .success(.request(id: "a", method: "x", params: ["k": 1])))
        #expect(classify(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#) == .success(.notification(method: "notifications/initialized", params: nil)))
        guard case .success(.response(let id, _)) = classify(#"{"jsonrpc":"2.0","id":3,"result":{}}"#) else {
            Issue.record("not a response")
            return
        }
        #expect(id == 3)
    }

    @Test("broken JSON is a parse error; duplicate keys and invalid UTF-8 too")
    func parseErrors() {
        #expect(code("{not json") == JSONRPCErrorCode.parseError)
        #expect(code(#"{"jsonrpc":"2.0","id":1,"method":"a","method":"tools/call"}"#) == JSONRPCErrorCode.parseError)
        #expect(JSONRPC.classify([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]).failureCode == JSONRPCErrorCode.parseError)
    }

    @Test("batches, wrong versions, bad ids and bad params are invalid requests")
    func invalidRequests() {
        #expect(code(#"[{"jsonrpc":"2.0","id":1,"method":"tools/call"}]"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code(#"{"jsonrpc":"1.0","id":1,"method":"x"}"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code(#"{"id":1,"method":"x"}"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code(#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code(#"{"jsonrpc":"2.0","id":true,"method":"x"}"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code(#"{"jsonrpc":"2.0","id":1,"method":"x","params":"s"}"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code(#"{"jsonrpc":"2.0","id":1,"method":7}"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code(#"{"jsonrpc":"2.0","id":1}"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code(#"{"jsonrpc":"2.0","id":1,"result":1,"error":{}}"#) == JSONRPCErrorCode.invalidRequest)
        #expect(code("42") == JSONRPCErrorCode.invalidRequest)
    }

    @Test("the rejection keeps a readable id")
    func rejectionId() {
        if case .failure(let rejection) = classify(#"{"jsonrpc":"1.0","id":"abc","method":"x"}"#) {
            #expect(rejection.id == "abc")
        } else {
            Issue.record("expected a rejection")
        }
    }

    @Test("the id of a message too long to parse is read from its head, never from inside the result")
    func leadingId() {
        func id(_ text: String) -> JSONValue? { JSONRPC.leadingId(in: Array(text.utf8)) }
        #expect(id(#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"xxxx"#) == 7)
        #expect(id(#"{"jsonrpc":"2.0","id":"a,\"b","result":{"#) == "a,\"b")
        #expect(id(#"{"jsonrpc":"2.0","result":{"id":5,"content":"#) == nil)
        #expect(id(#"{"result":{"id":5},"id":1}"#) == nil)
        #expect(id("garbage") == nil)
    }

    @Test("responses and errors are canonical JSON")
    func encoding() {
        #expect(String(decoding: JSONRPC.errorResponse(id: .null, code: -32700, message: "Parse error"), as: UTF8.self)
            == #"{"error":{"code":-32700,"message":"Parse error"},"id":null,"jsonrpc":"2.0"}"#)
    }
}

extension Result where Success == (JSONRPCMessage, JSONValue), Failure == JSONRPCRejection {
    var failureCode: Int64? {
        if case .failure(let rejection) = self { return rejection.code }
        return nil
    }
}

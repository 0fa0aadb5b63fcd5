import RiskKernelCore
import Testing
@testable import RiskKernelGateway

@Suite("Tracing hooks of the session")
struct TracingHookTests {
    @Test("the forwarded request gets the trace context in params._meta, everything else kept")
    func settingMeta() throws {
        let raw = Array(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","arguments":{"a":1},"_meta":{"progressToken":3,"traceparent":"old"}}}"#.utf8)
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let forwarded = try JSONParser.parse(GatewaySession.settingMeta(["traceparent": traceparent], in: raw))
        #expect(forwarded["params"]?["_meta"]?["traceparent"] == .string(traceparent))
        #expect(forwarded["params"]?["_meta"]?["progressToken"] == .integer(3))
        #expect(forwarded["params"]?["arguments"] == ["a": 1])
        #expect(forwarded["id"] == .integer(7))
    }

    @Test("without trace context the bytes are forwarded unchanged")
    func unchanged() {
        let raw = Array(#"{"jsonrpc":"2.0", "id":1,"method":"tools/call","params":{"name":"t"}}"#.utf8)
        #expect(GatewaySession.settingMeta([:], in: raw) == raw)
    }

    @Test("an upstream error is named without copying result text")
    func errorText() {
        #expect(GatewaySession.errorText(of: ["result": ["content": [], "isError": false]]) == nil)
        #expect(GatewaySession.errorText(of: ["error": ["code": -32000, "message": "boom"]]) == "boom")
        let flagged = GatewaySession.errorText(of: ["result": ["content": [["type": "text", "text": "secret detail"]], "isError": true]])
        #expect(flagged != nil && flagged?.contains("secret detail") == false)
    }
}

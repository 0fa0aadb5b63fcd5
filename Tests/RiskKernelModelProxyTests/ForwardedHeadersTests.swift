import HTTPTypes
import Hummingbird
import NIOHTTP1
@testable import RiskKernelModelProxy
import Testing

@Suite("Forwarded headers")
struct ForwardedHeadersTests {
    @Test func keysAndUnknownHeadersPassHopByHopDoNot() {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer sk-test"
        fields[HTTPField.Name("x-api-key")!] = "sk-ant-test"
        fields[HTTPField.Name("anthropic-version")!] = "2023-06-01"
        fields[HTTPField.Name("X-Custom")!] = "kept"
        fields[.connection] = "keep-alive, X-Hop"
        fields[HTTPField.Name("X-Hop")!] = "dropped"
        fields[.transferEncoding] = "chunked"
        fields[HTTPField.Name("Host")!] = "127.0.0.1:8788"
        fields[.contentLength] = "10"
        fields[.acceptEncoding] = "gzip, br"
        let upstream = ForwardedHeaders.upstream(fields)
        #expect(upstream["authorization"] == ["Bearer sk-test"])
        #expect(upstream["x-api-key"] == ["sk-ant-test"])
        #expect(upstream["anthropic-version"] == ["2023-06-01"])
        #expect(upstream["x-custom"] == ["kept"])
        #expect(upstream["accept-encoding"] == ["identity"])
        for name in ["connection", "x-hop", "transfer-encoding", "host", "content-length"] { #expect(upstream[name].isEmpty, "\(name)") }
    }

    @Test func responseHeadersPassButHopByHop() {
        let headers = HTTPHeaders([
            ("Content-Type", "text/event-stream"), ("x-request-id", "req_1"), ("openai-processing-ms", "12"),
            ("Transfer-Encoding", "chunked"), ("Connection", "close"), ("Content-Length", "3"),
        ])
        let fields = ForwardedHeaders.downstream(headers)
        #expect(fields[.contentType] == "text/event-stream")
        #expect(fields[HTTPField.Name("x-request-id")!] == "req_1")
        #expect(fields[HTTPField.Name("openai-processing-ms")!] == "12")
        #expect(fields[.transferEncoding] == nil && fields[.connection] == nil && fields[.contentLength] == nil)
    }

    @Test func errorBodiesInEachProvidersFormat() {
        let openAI = ProviderErrors.body(flavor: .openAI, message: "m", openAIType: "budget_exceeded", anthropicType: "billing_error")
        #expect(openAI == ["error": ["message": "m", "type": "budget_exceeded", "param": .null, "code": "budget_exceeded"]])
        let anthropic = ProviderErrors.body(flavor: .anthropic, message: "m", openAIType: "budget_exceeded", anthropicType: "billing_error")
        #expect(anthropic == ["type": "error", "error": ["type": "billing_error", "message": "m"]])
    }
}

import Foundation
import RiskKernelCore
import RiskKernelModelProxy
import Testing

/// Protocol/llm-proxy.openapi.json lists exactly the routes the proxy serves.
@Suite("LLM proxy route contract")
struct RouteContractTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/llm-proxy.openapi.json")

    @Test func theOpenAPIDocumentListsEveryRouteAndNoOther() throws {
        let openAPI = try JSONParser.parse(try Data(contentsOf: Self.document))
        var documented: Set<String> = []
        for (path, item) in openAPI["paths"]?.objectValue ?? [:] {
            let routerPath = path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
            for method in ["get", "post"] where item[method] != nil { documented.insert("\(method.uppercased()) \(routerPath)") }
        }
        let served = Set(LLMProxy.routes.map { "\($0.method) \($0.path)" })
        #expect(documented == served, "documented only: \(documented.subtracting(served).sorted()); served only: \(served.subtracting(documented).sorted())")
        #expect(served.count == 20)
    }
}

import Hummingbird
import RiskKernelStore
import Testing
@testable import RiskKernelConsole

@Suite struct DecisionBodyTests {
    func parse(_ text: String, _ action: String = "approve") throws -> DecisionBody {
        try DecisionBody.parse(ByteBuffer(string: text), action: action)
    }

    @Test func anApprovalNeedsNothingAndIsForThisCallAlone() throws {
        let body = try parse("")
        #expect(body == DecisionBody(status: .approved, reason: nil, grantScope: nil, grantSeconds: nil))
    }

    @Test func aScopeAndADurationMakeAGrant() throws {
        let body = try parse(#"{"reason": " checked ", "scope": "run", "for": "4h"}"#)
        #expect(body.reason == "checked")
        #expect(body.grantScope == .run)
        #expect(abs((body.grantSeconds ?? 0) - 4 * 3600) < 0.001)
        #expect(try parse(#"{"scope": "always"}"#).grantScope == .always)
    }

    @Test func aDenialNeedsAReason() throws {
        #expect(throws: ConsoleInputError.self) { try parse("{}", "deny") }
        #expect(throws: ConsoleInputError.self) { try parse(#"{"reason": "   "}"#, "deny") }
        #expect(try parse(#"{"reason": "not now"}"#, "deny").status == .denied)
    }

    @Test(arguments: ["[]", "not json", #"{"scope": "forever"}"#, #"{"for": "4h"}"#, #"{"scope": "run", "for": "soon"}"#])
    func badBodiesAreRefused(_ text: String) {
        #expect(throws: ConsoleInputError.self) { try parse(text) }
    }
}

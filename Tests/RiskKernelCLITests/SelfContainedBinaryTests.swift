import Foundation
import RiskKernelCore
import Testing

/// The binary carries everything it needs: copied into a folder with no build tree and run from
/// there, it prices models and runs the demo; a demo whose gateway cannot start ends at once.
@Suite("a self-contained binary")
struct SelfContainedBinaryTests {
    /// A copy of the built binary alone in a new folder, and that folder.
    static func isolatedCopy() throws -> (binary: String, folder: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-alone-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: true)
        let copy = folder + "/bin/riskkernel"
        try FileManager.default.copyItem(atPath: try Binary.require(), toPath: copy)
        return (copy, folder)
    }

    @Test("a copy outside the build tree prices models and reads no resource file")
    func pricesFromACopy() async throws {
        let (copy, folder) = try Self.isolatedCopy()
        let shown = try await Binary.run(["prices", "show", "gpt-4o", "--json"], directory: folder, executable: copy, timeout: 60)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.json?["output"] == "10.000000")
        let listed = try await Binary.run(["prices", "list", "--json"], directory: folder, executable: copy, timeout: 60)
        #expect((listed.json?.arrayValue?.count ?? 0) > 20)
        // The binary names no build folder of this checkout (a resource bundle's path would be one).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        #expect(bytes.range(of: Data("RiskKernel_RiskKernelCore.resources".utf8)) == nil)
    }

    @Test("the demo runs from a copy in a folder with no build tree")
    func demoFromACopy() async throws {
        let (copy, folder) = try Self.isolatedCopy()
        let result = try await Binary.run(["demo", "--dir", folder + "/demo"], directory: folder, executable: copy, timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("halted: true"))
        #expect(!result.stderr.contains("price table"))
    }

    @Test("the demo ends with an error, never a hang, when its gateway cannot start")
    func demoGatewayFails() async throws {
        let sandbox = Sandbox()
        // A folder where the demo's database file should be: the gateway cannot open it and exits.
        try FileManager.default.createDirectory(atPath: sandbox.root + "/demo/riskkernel.sqlite", withIntermediateDirectories: true)
        let started = Date()
        // A hang would run into the timeout; a loaded machine may still take a while to get there.
        let result = try await Binary.run(["demo", "--dir", sandbox.root + "/demo"], timeout: 240)
        #expect(result.status == 1, "status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("the gateway exited with status 2"), "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 200)
    }
}

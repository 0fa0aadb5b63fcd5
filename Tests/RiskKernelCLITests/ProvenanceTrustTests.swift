import Foundation
import RiskKernelCore
import Testing

/// `provenance verify` fails closed: a bundle whose signer nobody named is a failure unless the
/// caller says any signer will do.
@Suite("provenance trust")
struct ProvenanceTrustTests {
    @Test("verify without --trust fails with status 1; --any-signer or the signer's DID passes; another DID fails")
    func trustIsRequired() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway()
        await client.start { _ in }
        _ = await client.handshake()
        _ = await client.callTool("list_files")
        #expect(await client.close() == 0)
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        let keys = try #require(try await Binary.run(["keys", "generate", "--out", sandbox.root + "/keys", "--json"]).json)
        let did = try #require(keys["did"]?.stringValue)
        let other = try #require(try await Binary.run(["keys", "generate", "--out", sandbox.root + "/other", "--json"]).json?["did"]?.stringValue)
        let bundle = sandbox.root + "/bundle.json"
        let export = try await sandbox.cli(["provenance", "export", "--run", runId, "--redact", "content", "--key", sandbox.root + "/keys", "--out", bundle])
        #expect(export.status == 0, "\(export.stderr)")

        let untrusted = try await Binary.run(["provenance", "verify", bundle])
        #expect(untrusted.status == 1)
        #expect(!untrusted.stdout.contains("verified:"), "\(untrusted.stdout)")
        #expect(untrusted.stderr.contains("verification failed: trust"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("--any-signer"))
        let anySigner = try await Binary.run(["provenance", "verify", bundle, "--any-signer"])
        #expect(anySigner.status == 0, "\(anySigner.stderr)")
        #expect(anySigner.stdout.contains("any signer accepted"))
        #expect(try await Binary.run(["provenance", "verify", bundle, "--trust", did]).status == 0)
        #expect(try await Binary.run(["provenance", "verify", bundle, "--trust", other]).status == 1)
        #expect(try await Binary.run(["provenance", "verify", bundle, "--json"]).status == 1)
        #expect(try await Binary.run(["provenance", "verify", bundle, "--trust", did, "--any-signer"]).status == 64)
    }
}

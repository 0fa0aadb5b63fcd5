import Foundation
import RiskKernelGateway
import SeededRandom
import Testing

/// Two spellings of one server's command are one pin identity.
@Suite("server identity")
struct ServerIdentityTests {
    /// A folder with `py/rug.py` and an executable `bin/tool`.
    static func folder() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-identity-\(UUID().uuidString)").standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: root + "/py", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/py/rug.py", contents: Data("print(1)\n".utf8))
        FileManager.default.createFile(atPath: root + "/bin/tool", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        return root
    }

    @Test("a relative script, an absolute one and one with ./ and .. are the same server; the executable is found on PATH")
    func spellings() throws {
        let root = try Self.folder()
        let path = root + "/bin:/usr/bin:/bin"
        let expected = "\(root)/bin/tool \(root)/py/rug.py --flag=x -m name"
        for spelling in [
            ["tool", "py/rug.py", "--flag=x", "-m", "name"],
            ["tool", "./py/rug.py", "--flag=x", "-m", "name"],
            [root + "/bin/tool", root + "/py/rug.py", "--flag=x", "-m", "name"],
            ["bin/tool", "py/../py/rug.py", "--flag=x", "-m", "name"],
            ["./bin/../bin/tool", root + "/py/./rug.py", "--flag=x", "-m", "name"],
        ] {
            #expect(ServerIdentity.normalized(spelling, directory: root, searchPath: path) == expected, "\(spelling)")
        }
        // From another folder, the relative spelling names a different file: a different server.
        #expect(ServerIdentity.normalized(["tool", "py/rug.py"], directory: "/", searchPath: path) == "\(root)/bin/tool py/rug.py")
        // Words that are not files stay as written; an unknown executable stays as written.
        #expect(ServerIdentity.normalized(["no-such-tool-anywhere", "serve", "--port", "1"], directory: root, searchPath: path)
            == "no-such-tool-anywhere serve --port 1")
    }

    @Test("any spelling of the script's path, relative or absolute, normalizes to one identity (seeded)")
    func randomSpellings() throws {
        let root = try Self.folder()
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var random = SeededRandom(seed: seed)
        let expected = ServerIdentity.normalized(["tool", "py/rug.py"], directory: root, searchPath: root + "/bin")
        for _ in 0..<500 {
            var parts: [String] = []
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                parts.append(["." , "py/..", "bin/.."].randomElement(using: &random)!)
            }
            let relative = (parts + ["py", "rug.py"]).joined(separator: "/")
            let spelling = Bool.random(using: &random) ? relative : root + "/" + relative
            let identity = ServerIdentity.normalized(["tool", spelling], directory: root, searchPath: root + "/bin")
            #expect(identity == expected, "seed \(seed): \(spelling) -> \(identity)")
        }
    }
}

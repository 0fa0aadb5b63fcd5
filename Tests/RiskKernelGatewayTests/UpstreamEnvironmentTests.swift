import RiskKernelGateway
import Testing

@Suite("upstream environment")
struct UpstreamEnvironmentTests {
    let parent = ["PATH": "/bin", "HOME": "/root", "GITHUB_TOKEN": "t", "LC_ALL": "C", "RISKKERNEL_DB": "/db", "OTHER": "o"]

    @Test("only the base variables and LC_* pass by default")
    func defaults() {
        #expect(UpstreamEnvironment.build(from: parent) == ["PATH": "/bin", "HOME": "/root", "LC_ALL": "C"])
    }

    @Test("--env passes a name or sets a value; RISKKERNEL_* only when named; --inherit-env passes the rest")
    func options() throws {
        let (names, assignments) = try UpstreamEnvironment.parseOptions(["GITHUB_TOKEN", "X=1=2", "RISKKERNEL_DB"])
        let built = UpstreamEnvironment.build(from: parent, passThrough: names, assignments: assignments)
        #expect(built["GITHUB_TOKEN"] == "t")
        #expect(built["X"] == "1=2")
        #expect(built["RISKKERNEL_DB"] == "/db")
        let inherited = UpstreamEnvironment.build(from: parent, inheritAll: true)
        #expect(inherited["OTHER"] == "o")
        #expect(inherited["RISKKERNEL_DB"] == nil)
        #expect(throws: UpstreamEnvironment.Problem.self) { _ = try UpstreamEnvironment.parseOptions(["1BAD"]) }
    }

    @Test("env files: comments, export, quotes, and errors with line numbers")
    func files() throws {
        let parsed = try UpstreamEnvironment.parseFile("# c\n\nexport A='x y'\nB=\"2\"\nC=plain\n", file: "f.env")
        #expect(parsed.map(\.0) == ["A", "B", "C"])
        #expect(parsed.map(\.1) == ["x y", "2", "plain"])
        #expect {
            _ = try UpstreamEnvironment.parseFile("A=1\nnot an assignment\n", file: "f.env")
        } throws: { error in
            "\(error)" == "f.env:2: expected NAME=VALUE"
        }
    }
}

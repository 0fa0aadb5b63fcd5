import RiskKernelCore
import Testing

@Suite("PathNormalizer")
struct PathNormalizerTests {
    @Test("absolute paths", arguments: [
        ("/srv/data/../../etc/passwd", "/etc/passwd"),
        ("/srv/data/./x", "/srv/data/x"),
        ("//etc///passwd", "/etc/passwd"),
        ("/srv/data/", "/srv/data"),
        ("/../../etc", "/etc"),
        ("/..", "/"),
        ("/", "/"),
        ("/a/b/..", "/a"),
        ("/a/.../b", "/a/.../b"),
        ("/a/..b/c", "/a/..b/c"),
    ])
    func absolute(input: String, expected: String) {
        #expect(PathNormalizer.normalize(input) == expected)
    }

    @Test("relative paths", arguments: [
        ("./a/../b", "./b"),
        ("./a/../../b", "../b"),
        ("../a/../../b", "../../b"),
        ("../../x", "../../x"),
        ("./", "."),
        (".", "."),
        ("..", ".."),
        ("./a/..", "."),
        ("./a//b/./", "./a/b"),
    ])
    func relative(input: String, expected: String) {
        #expect(PathNormalizer.normalize(input) == expected)
    }

    @Test("home paths", arguments: [
        ("~/a/../b", "~/b"),
        ("~", "~"),
        ("~/", "~"),
        ("~/../other", "~/../other"),
        ("~alice/./docs//x", "~alice/docs/x"),
    ])
    func home(input: String, expected: String) {
        #expect(PathNormalizer.normalize(input) == expected)
    }

    @Test("other strings are left alone", arguments: ["data/../x", "https://host//a/../b", "", "a", "C:\\x\\..\\y", "x/./y"])
    func notPaths(input: String) {
        #expect(!PathNormalizer.isPath(input))
        #expect(PathNormalizer.normalize(input) == input)
    }

    @Test func pathDetection() {
        for path in ["/", "/x", "./x", "../x", "~", "~/x", ".", ".."] {
            #expect(PathNormalizer.isPath(path), "\(path)")
        }
        for text in [".x", "..x", "x/", "a/b"] {
            #expect(!PathNormalizer.isPath(text), "\(text)")
        }
    }
}

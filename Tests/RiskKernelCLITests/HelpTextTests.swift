import Foundation
import Testing

/// Every command's `--help` is wrapped by the argument parser at the terminal's width: no hard
/// line breaks that leave ragged lines, and no default printed as a float (`600.0`).
@Suite("help text")
struct HelpTextTests {
    @Test("each command's --help at 80 and 120 columns has no ragged line and no .0 default", arguments: [80, 120])
    func wrapsCleanly(width: Int) async throws {
        var commands: [[String]] = [[]]
        var problems: [String] = []
        var index = 0
        while index < commands.count {
            let path = commands[index]
            index += 1
            let help = try await Binary.run(path + ["--help"], environment: ["COLUMNS": "\(width)"])
            #expect(help.status == 0, "riskkernel \(path.joined(separator: " ")) --help: \(help.stderr)")
            for name in Self.subcommands(help.stdout) where !commands.contains(path + [name]) { commands.append(path + [name]) }
            let shown = "riskkernel \(path.joined(separator: " ")) --help at \(width) columns"
            problems += Self.raggedLines(help.stdout, width: width).map { "\(shown): ragged line \"\($0)\"" }
            problems += Self.floatDefaults(help.stdout).map { "\(shown): \($0)" }
        }
        #expect(commands.count > 40, "only \(commands.count) commands found")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("the check finds a hard line break in a paragraph and a float default")
    func checkWorks() {
        let ragged = """
            The first time a gateway sees a server (named by `gateway --server-name`, or by
            its command),
            it pins the definition of every tool it lists.
            """
        #expect(Self.raggedLines(ragged, width: 80) == ["its command),"])
        #expect(Self.raggedLines("Put the command after `--`:\n\n  riskkernel gateway -- uvx server\n", width: 80).isEmpty)
        #expect(Self.floatDefaults("  --timeout <seconds>  How long. (default: 600.0)") == ["(default: 600.0)"])
        #expect(Self.floatDefaults("  --interval <seconds>  How often. (default: 0.2)").isEmpty)
    }

    /// The names listed under `SUBCOMMANDS:` (without the parser's own `help`).
    static func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        var names: [String] = []
        for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            guard !line.isEmpty else { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let name = line.dropFirst(2).prefix { $0.isLetter || $0.isNumber || $0 == "-" }
            if !name.isEmpty, name != "help" { names.append(String(name)) }
        }
        return names
    }

    /// Lines that end a sentence's line early: the next line, at the same indentation, continues
    /// the sentence (this line does not end in `.`, `:`, `?` or `!`, and the next starts in lower
    /// case), and its first word would have fit here (the parser wraps before the last column).
    static func raggedLines(_ text: String, width: Int) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        var ragged: [String] = []
        for (line, next) in zip(lines, lines.dropFirst()) {
            let body = line.trimmingCharacters(in: .whitespaces)
            let following = next.trimmingCharacters(in: .whitespaces)
            guard !body.isEmpty, !following.isEmpty, indentation(line) == indentation(next) else { continue }
            guard let last = body.last, !".:?!".contains(last), following.first?.isLowercase == true else { continue }
            let firstWord = following.prefix { $0 != " " }
            if line.count + 1 + firstWord.count < width { ragged.append(body) }
        }
        return ragged
    }

    /// Defaults printed as a whole number with a fractional `.0` (`default: 600.0`).
    static func floatDefaults(_ text: String) -> [String] {
        let pattern = /\(default: [^)]*\b\d+\.0\b[^)]*\)/
        return text.matches(of: pattern).map { String($0.output) }
    }
}

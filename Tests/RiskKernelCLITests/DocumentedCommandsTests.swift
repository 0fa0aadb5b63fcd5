import Foundation
import Testing

/// Every command the README (and any docs/ page) shows exists, and every option it gives that
/// command is one the command takes: checked against the binary's own `--help`.
@Suite("documented commands")
struct DocumentedCommandsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// README.md, docs/**/*.md and examples/**/README.md.
    static func documents() -> [URL] {
        var files = [root.appendingPathComponent("README.md")]
        for folder in ["docs", "examples"] {
            let base = root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "md" && (folder == "docs" || url.lastPathComponent == "README.md") {
                files.append(url)
            }
        }
        return files
    }

    /// The text of each code span and each line of each fenced block.
    static func snippets(_ text: String) -> [String] {
        var snippets: [String] = []
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inBlock.toggle()
                continue
            }
            if inBlock {
                let command = line.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
                snippets.append(command.replacingOccurrences(of: "$ ", with: ""))
                continue
            }
            let parts = line.split(separator: "`", omittingEmptySubsequences: false)
            for (index, part) in parts.enumerated() where index % 2 == 1 { snippets.append(String(part)) }
        }
        return snippets
    }

    /// The command paths the binary has (`["runs", "show"]`), read from `--help`.
    static func commandTree() async throws -> [[String]: String] {
        var tree: [[String]: String] = [:]
        func subcommands(_ help: String) -> [String] {
            guard let section = help.range(of: "SUBCOMMANDS:") else { return [] }
            return help[section.upperBound...].split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first else { return nil }
                let name = String(word)
                return name.allSatisfy({ $0.isLowercase || $0 == "-" }) && name != "help" ? name : nil
            }
        }
        var queue: [[String]] = [[]]
        while let path = queue.popLast() {
            let help = try await Binary.run(path + ["--help"]).stdout
            tree[path] = help
            for name in subcommands(help) { queue.append(path + [name]) }
        }
        return tree
    }

    @Test("each command shown in the docs exists and takes the options shown with it")
    func documentedCommandsExist() async throws {
        let tree = try await Self.commandTree()
        #expect(tree[["gateway"]] != nil && tree[["approvals", "watch"]] != nil)
        var checked = 0
        for file in Self.documents() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for snippet in Self.snippets(text) {
                var words = snippet.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                let prefixed = words.first == "riskkernel"
                if prefixed { words.removeFirst() }
                // Without the program's name, only a table's first cell counts (the operator commands table).
                let tableCell = text.contains("| `\(snippet)`")
                guard prefixed || tableCell, let first = words.first, tree[[first]] != nil else { continue }
                var path: [String] = []
                while let word = words.first, tree[path + [word]] != nil {
                    path.append(word)
                    words.removeFirst()
                }
                guard !path.isEmpty, let help = tree[path] else { continue }
                for word in words {
                    if word == "--" { break }
                    let option = word.trimmingCharacters(in: CharacterSet(charactersIn: "[]|(),`"))
                        .split(separator: "=").first.map(String.init) ?? ""
                    guard option.hasPrefix("--"), option.count > 2 else { continue }
                    #expect(Self.offers(help, option), "\(file.lastPathComponent): `\(snippet)`: `riskkernel \(path.joined(separator: " "))` has no \(option)")
                }
                checked += 1
            }
        }
        #expect(checked >= 30, "only \(checked) documented commands found")
    }

    /// Whether `help` lists `option` (followed by a space, `<`, `,` or the end of the line).
    static func offers(_ help: String, _ option: String) -> Bool {
        var search = help[...]
        while let range = search.range(of: option) {
            let next = range.upperBound < search.endIndex ? search[range.upperBound] : "\n"
            if !(next.isLetter || next.isNumber || next == "-") { return true }
            search = search[range.upperBound...]
        }
        return false
    }
}

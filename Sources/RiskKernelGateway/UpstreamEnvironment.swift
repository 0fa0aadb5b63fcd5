import Foundation

/// The environment an upstream server is started with: by default only what a program needs to run,
/// so that the agent's credentials do not leak into every server.
public enum UpstreamEnvironment {
    /// Passed through by default.
    public static let baseNames: Set<String> = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TMPDIR", "TZ", "LANG"]

    /// A problem with `--env` or `--env-file`.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Builds the upstream's environment from the gateway's own.
    ///
    /// - `base` variables and every `LC_*` pass through;
    /// - `passThrough` names (`--env NAME`) pass through when set;
    /// - `assignments` (`--env NAME=VALUE`, then `--env-file` lines) are set as given;
    /// - with `inheritAll`, everything passes (RISKKERNEL_* still only when named);
    /// - `RISKKERNEL_*` variables never pass unless named.
    public static func build(
        from environment: [String: String], passThrough: [String] = [], assignments: [(String, String)] = [], inheritAll: Bool = false
    ) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in environment {
            let named = passThrough.contains(name)
            if name.hasPrefix("RISKKERNEL_") && !named { continue }
            if inheritAll || named || baseNames.contains(name) || name.hasPrefix("LC_") { result[name] = value }
        }
        for (name, value) in assignments { result[name] = value }
        return result
    }

    /// Splits the `--env` options into names to pass through and assignments.
    public static func parseOptions(_ options: [String]) throws -> (passThrough: [String], assignments: [(String, String)]) {
        var names: [String] = []
        var assignments: [(String, String)] = []
        for option in options {
            if let equals = option.firstIndex(of: "=") {
                let name = String(option[..<equals])
                guard isValidName(name) else { throw Problem(description: "--env \(option): \"\(name)\" is not a variable name") }
                assignments.append((name, String(option[option.index(after: equals)...])))
            } else {
                guard isValidName(option) else { throw Problem(description: "--env \(option): not a variable name") }
                names.append(option)
            }
        }
        return (names, assignments)
    }

    /// Reads `NAME=VALUE` lines; blank lines and `#` comments are skipped, `export ` is allowed, and
    /// a value in matching single or double quotes loses them.
    public static func parseFile(_ text: String, file: String) throws -> [(String, String)] {
        var assignments: [(String, String)] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "="), isValidName(String(line[..<equals])) else {
                throw Problem(description: "\(file):\(number + 1): expected NAME=VALUE")
            }
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
                value = String(value.dropFirst().dropLast())
            }
            assignments.append((String(line[..<equals]), value))
        }
        return assignments
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}

/// What `riskkernel doctor` found: lines grouped under headings, and the problems with their fixes.
struct DoctorReport {
    /// How bad a finding is.
    enum Severity: String {
        case ok, warning, problem
    }

    /// One finding that needs something done.
    struct Finding {
        var severity: Severity
        var subject: String
        var text: String
        var fix: String
    }

    private(set) var lines: [String] = []
    private(set) var findings: [Finding] = []

    var problems: [Finding] { findings.filter { $0.severity == .problem } }

    mutating func heading(_ text: String) { lines.append(text) }

    mutating func ok(_ text: String) { lines.append("  ok       \(text)") }

    mutating func warning(_ subject: String, _ text: String, fix: String) {
        lines.append("  warning  \(text)")
        findings.append(Finding(severity: .warning, subject: subject, text: text, fix: fix))
    }

    mutating func problem(_ subject: String, _ text: String, fix: String) {
        lines.append("  PROBLEM  \(text)")
        findings.append(Finding(severity: .problem, subject: subject, text: text, fix: fix))
    }

    /// Adds another report's lines and findings after these.
    mutating func absorb(_ other: DoctorReport) {
        lines += other.lines
        findings += other.findings
    }

    /// The report for people: every line, then what to fix.
    func render() -> String {
        var output = lines
        if findings.isEmpty {
            output.append("\nall good")
        } else {
            let problemCount = problems.count, warningCount = findings.count - problemCount
            output.append("\n\(problemCount) problem(s), \(warningCount) warning(s). To fix:")
            for finding in findings {
                output.append("- \(finding.subject): \(finding.text)")
                output.append("  \(finding.fix)")
            }
        }
        return output.joined(separator: "\n")
    }
}

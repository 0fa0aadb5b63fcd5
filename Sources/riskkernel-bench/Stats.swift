import Foundation

/// Latency samples in microseconds.
struct Samples {
    private(set) var sorted: [Double]

    init(_ values: [Double]) { sorted = values.sorted() }

    var count: Int { sorted.count }

    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Swift.min(sorted.count - 1, Swift.max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }

    var median: Double { percentile(50) }
    var p99: Double { percentile(99) }
    var max: Double { sorted.last ?? .nan }
    var min: Double { sorted.first ?? .nan }
    var mean: Double { sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count) }
}

/// Fixed-width text tables.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: String...) { self.header = header }

    mutating func add(_ cells: String...) { rows.append(cells) }
    mutating func add(cells: [String]) { rows.append(cells) }

    func render() -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = Swift.max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line)).joined(separator: "\n")
    }
}

func fmtMicros(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    if abs(value) >= 10_000 { return String(format: "%.1f ms", value / 1000) }
    return String(format: "%.0f µs", value)
}

func fmtRate(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    return value >= 10_000 ? String(format: "%.0f", value) : String(format: "%.0f", value)
}

func fmtSize(_ bytes: Int) -> String {
    if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
    if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes >> 10) KiB" }
    return "\(bytes) B"
}

func fmtKiB(_ kib: Int) -> String { String(format: "%.1f MiB", Double(kib) / 1024) }

/// Writes progress to stderr and results to stdout, flushed.
func say(_ text: String) {
    print(text)
    fflush(nil)
}

func note(_ text: String) {
    FileHandle.standardError.write(Data(("  · " + text + "\n").utf8))
}

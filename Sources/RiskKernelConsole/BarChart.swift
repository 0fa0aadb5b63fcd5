import Foundation

/// A horizontal bar chart drawn as inline SVG: one bar a row, labelled with its key and value.
///
/// Colours come from the stylesheet (`.chart .bar`), so the chart follows the light or dark theme;
/// every text is escaped.
struct BarChart {
    struct Bar {
        var label: String
        var value: Double
        var valueText: String
    }

    var bars: [Bar]
    var title: String

    static let rowHeight = 26
    static let labelWidth = 220
    static let barWidth = 420
    static let valueWidth = 120

    /// The SVG element, or a sentence when there is nothing to draw.
    func svg() -> String {
        guard !bars.isEmpty else { return "<p class=\"muted\">No model spend recorded yet.</p>" }
        let width = Self.labelWidth + Self.barWidth + Self.valueWidth
        let height = bars.count * Self.rowHeight + 8
        let largest = bars.map(\.value).max() ?? 0
        var svg = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" aria-label=\"\(Self.escape(title))\">"
        svg += "<title>\(Self.escape(title))</title>"
        for (index, bar) in bars.enumerated() {
            let y = 4 + index * Self.rowHeight
            let length = largest > 0 ? max(2, Int((bar.value / largest * Double(Self.barWidth)).rounded())) : 2
            svg += "<g class=\"row\"><text class=\"label\" x=\"\(Self.labelWidth - 8)\" y=\"\(y + 17)\" text-anchor=\"end\">\(Self.escape(bar.label))</text>"
            svg += "<rect class=\"bar\" x=\"\(Self.labelWidth)\" y=\"\(y + 3)\" width=\"\(length)\" height=\"\(Self.rowHeight - 8)\" rx=\"3\"><title>\(Self.escape(bar.label)): \(Self.escape(bar.valueText))</title></rect>"
            svg += "<text class=\"value\" x=\"\(Self.labelWidth + length + 6)\" y=\"\(y + 17)\">\(Self.escape(bar.valueText))</text></g>"
        }
        return svg + "</svg>"
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

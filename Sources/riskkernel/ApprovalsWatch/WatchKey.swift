/// A key pressed in `approvals watch`, as the screen understands it.
enum WatchKey: Equatable, Sendable {
    /// A printable character (a command key, or a letter of a denial's reason).
    case character(Character)
    case up, down
    /// Return or Enter (carriage return or line feed).
    case enter
    /// Backspace or Delete.
    case backspace
    /// Escape on its own (not the start of an arrow key's sequence).
    case escape
    /// Ctrl-D, or the end of input.
    case endOfInput
    /// Ctrl-C read as a byte (when the terminal does not turn it into SIGINT).
    case interrupt
}

/// Turns the bytes a terminal sends in raw mode into keys: ANSI arrow sequences (`ESC [ A`,
/// `ESC O A` and so on, ECMA-48 control sequences), control bytes, and UTF-8 text. Pure; a
/// sequence split across reads is completed by the next `feed`.
struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []

    /// The keys in `bytes` (with any incomplete sequence left from the previous call before them).
    /// A lone ESC at the end of a read is the Escape key.
    mutating func feed(_ bytes: [UInt8]) -> [WatchKey] {
        let input = pending + bytes
        pending = []
        var keys: [WatchKey] = []
        var text: [UInt8] = []
        func flushText() {
            keys += String(decoding: text, as: UTF8.self).map(WatchKey.character)
            text = []
        }
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte >= 0x20, byte != 0x7F {
                text.append(byte)
                index += 1
                continue
            }
            flushText()
            switch byte {
            case 0x1B:
                guard index + 1 < input.count else { keys.append(.escape); index += 1; continue }
                let introducer = input[index + 1]
                guard introducer == UInt8(ascii: "[") || introducer == UInt8(ascii: "O") else { keys.append(.escape); index += 1; continue }
                // Parameters and intermediates (0x20–0x3F) up to a final byte (0x40–0x7E).
                var end = index + 2
                while end < input.count, (0x20...0x3F).contains(input[end]) { end += 1 }
                guard end < input.count else { pending = Array(input[index...]); return keys }
                switch input[end] {
                case UInt8(ascii: "A"): keys.append(.up)
                case UInt8(ascii: "B"): keys.append(.down)
                default: break
                }
                index = end + 1
            case 0x0D, 0x0A: keys.append(.enter); index += 1
            case 0x7F, 0x08: keys.append(.backspace); index += 1
            case 0x04: keys.append(.endOfInput); index += 1
            case 0x03: keys.append(.interrupt); index += 1
            default: index += 1
            }
        }
        flushText()
        return keys
    }
}

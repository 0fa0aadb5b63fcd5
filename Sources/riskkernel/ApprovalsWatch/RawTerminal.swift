import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A terminal on stdin put into raw mode (termios(4): no line buffering, no echo) for single keys,
/// with its own screen (the alternate screen buffer) and a hidden cursor. ``restore()`` puts
/// everything back; it runs on SIGINT, SIGTERM and SIGHUP too, before the process exits with
/// 128 + the signal's number. Ctrl-C still raises SIGINT (ISIG stays on) and output still turns
/// `\n` into `\r\n` (OPOST stays on).
final class RawTerminal {
    private let saved: termios
    private var signalSources: [any DispatchSourceSignal] = []

    private init(saved: termios) { self.saved = saved }

    /// Whether stdin is a terminal (otherwise `approvals watch` reads lines).
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Enters raw mode on stdin and the alternate screen on stdout; `nil` when stdin is not a
    /// terminal or its attributes cannot be read or set.
    static func enter() -> RawTerminal? {
        var attributes = termios()
        guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &attributes) == 0 else { return nil }
        let terminal = RawTerminal(saved: attributes)
        var raw = attributes
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | IEXTEN)
        raw.c_iflag &= ~tcflag_t(ICRNL | IXON)
        withUnsafeMutableBytes(of: &raw.c_cc) { characters in
            characters[Int(VMIN)] = 1
            characters[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else { return nil }
        Self.write("\u{1B}[?1049h\u{1B}[?25l")
        terminal.restoreOnSignals()
        return terminal
    }

    /// Leaves the alternate screen, shows the cursor and puts stdin's attributes back as they were.
    func restore() { Self.restore(saved) }

    private static func restore(_ saved: termios) {
        write("\u{1B}[?25h\u{1B}[?1049l")
        var attributes = saved
        _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &attributes)
    }

    /// Replaces what is on screen with `lines`, each cut to the terminal's width.
    func draw(_ lines: [String]) {
        let width = Self.size()?.columns ?? Int.max
        let text = lines.map { line in line.count > width ? String(line.prefix(max(width - 1, 0))) + "…" : line }
        Self.write("\u{1B}[H\u{1B}[2J" + text.joined(separator: "\n"))
    }

    /// The terminal's rows and columns (TIOCGWINSZ), when stdout is one.
    static func size() -> (rows: Int, columns: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 else { return nil }
        return (Int(size.ws_row), Int(size.ws_col))
    }

    private static func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    private func restoreOnSignals() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [saved] in
                Self.restore(saved)
                exit(128 + signalNumber)
            }
            source.resume()
            signalSources.append(source)
        }
    }
}

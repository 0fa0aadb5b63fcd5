import Foundation
import RiskKernelGateway
import RiskKernelStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What reaches `approvals watch`'s loop: the store's pending approvals, or what a person typed.
enum WatchEvent: Sendable {
    case pending([ApprovalRecord], readAt: Date)
    /// The clock moved: time left changes, and approvals past their expiry leave the list.
    case tick(Date)
    /// Keys pressed on a terminal in raw mode.
    case keys([WatchKey])
    /// One line of a script's input (line mode).
    case line(String)
    case inputEnded
    case storeFailed(String)
}

/// Reads stdin on a thread of its own: raw bytes decoded into keys on a terminal, lines otherwise.
enum WatchInput {
    /// Sends the keys read from stdin (raw mode) to `yield`, then `.inputEnded` at end of input.
    static func readKeys(_ yield: @escaping @Sendable (WatchEvent) -> Void) {
        let thread = Thread {
            var decoder = KeyDecoder()
            var buffer = [UInt8](repeating: 0, count: 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                yield(.keys(decoder.feed(Array(buffer[0..<count]))))
            }
            yield(.inputEnded)
        }
        thread.start()
    }

    /// Sends each line read from stdin to `yield`, then `.inputEnded` at end of input.
    static func readLines(_ yield: @escaping @Sendable (WatchEvent) -> Void) {
        LineReader.read(
            from: STDIN_FILENO, maxLineBytes: 64 * 1024,
            onEvent: { event in if case .line(let bytes) = event { yield(.line(String(decoding: bytes.last == 0x0D ? bytes.dropLast() : bytes[...], as: UTF8.self))) } },
            onEnd: { yield(.inputEnded) })
    }
}

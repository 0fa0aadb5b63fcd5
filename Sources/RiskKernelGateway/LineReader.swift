import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One unit read from a newline-delimited stream.
public enum LineEvent: Sendable, Equatable {
    /// A complete line without its newline (a trailing `\r` is kept; JSON ignores it as whitespace).
    case line([UInt8])
    /// A line longer than the limit; its bytes were discarded without being held in memory,
    /// except for its first and last ``LineSplitter/headBytes`` (enough to find a message's id,
    /// whether it is written first or last).
    case oversized(byteCount: Int, head: [UInt8], tail: [UInt8])
}

/// Reads newline-delimited messages from a file descriptor on a dedicated thread, never holding
/// more than `maxLineBytes` of one line in memory.
public enum LineReader {
    /// Starts reading `fileDescriptor`; the stream ends at end of file or on a read error.
    /// A final line without a newline is delivered too.
    public static func lines(from fileDescriptor: Int32, maxLineBytes: Int, chunkSize: Int = 64 * 1024) -> AsyncStream<LineEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: LineEvent.self, bufferingPolicy: .unbounded)
        read(from: fileDescriptor, maxLineBytes: maxLineBytes, chunkSize: chunkSize, onEvent: { continuation.yield($0) }, onEnd: { continuation.finish() })
        return stream
    }

    /// Starts reading `fileDescriptor`, calling `onEvent` on the reading thread for each line, then
    /// `onEnd` once at end of file or on a read error. A final line without a newline is delivered too.
    public static func read(
        from fileDescriptor: Int32, maxLineBytes: Int, chunkSize: Int = 64 * 1024,
        onEvent: @escaping @Sendable (LineEvent) -> Void, onEnd: @escaping @Sendable () -> Void
    ) {
        let thread = Thread {
            var splitter = LineSplitter(maxLineBytes: maxLineBytes)
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            while true {
                let count = buffer.withUnsafeMutableBytes { readBytes(fileDescriptor, $0.baseAddress, chunkSize) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                buffer.withUnsafeBufferPointer { pointer in
                    splitter.feed(UnsafeBufferPointer(rebasing: pointer[0..<count]), emit: onEvent)
                }
            }
            splitter.finish(emit: onEvent)
            onEnd()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// `read(2)`, named apart from ``LineReader/read(from:maxLineBytes:chunkSize:onEvent:onEnd:)``.
private func readBytes(_ fileDescriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fileDescriptor, buffer, count)
}

/// Splits a byte stream into lines with a length limit. Pure; fed by ``LineReader``.
///
/// A line being read is kept as the segments it arrived in, joined only once it is complete and
/// within the limit: a line that turns out too long never costs more than the limit (no doubling
/// growth, no copy), and is then dropped as it arrives.
public struct LineSplitter {
    public let maxLineBytes: Int
    /// How much of an oversized line is kept.
    public static let headBytes = 4096
    private var pending: [[UInt8]] = []
    private var pendingCount = 0
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    /// Bytes of the current line dropped because it is over the limit, or `nil` while within it.
    private var discarded: Int?

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Consumes `bytes`, calling `emit` for each complete line or oversized line.
    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, emit: (LineEvent) -> Void) {
        var start = 0
        while start < bytes.count {
            let rest = UnsafeBufferPointer(rebasing: bytes[start...])
            // memchr: a long line is scanned at memory speed, whatever the build.
            if let base = rest.baseAddress, let found = memchr(base, 0x0A, rest.count) {
                let newline = start + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
                let segment = UnsafeBufferPointer(rebasing: bytes[start..<newline])
                append(segment)
                flushLine(emit: emit)
                start = newline + 1
            } else {
                append(rest)
                start = bytes.count
            }
        }
    }

    /// Emits whatever is left at end of input.
    public mutating func finish(emit: (LineEvent) -> Void) {
        if pendingCount > 0 || discarded != nil { flushLine(emit: emit) }
    }

    private mutating func append(_ segment: UnsafeBufferPointer<UInt8>) {
        if let dropped = discarded {
            discarded = dropped + segment.count
            if head.count < Self.headBytes { head.append(contentsOf: segment.prefix(Self.headBytes - head.count)) }
            keepTail(segment)
        } else if pendingCount + segment.count > maxLineBytes {
            discarded = pendingCount + segment.count
            head = []
            tail = []
            for part in pending {
                if head.count < Self.headBytes { head.append(contentsOf: part.prefix(Self.headBytes - head.count)) }
                part.withUnsafeBufferPointer { keepTail($0) }
            }
            head.append(contentsOf: segment.prefix(Self.headBytes - head.count))
            keepTail(segment)
            pending = []
            pendingCount = 0
        } else if !segment.isEmpty {
            pending.append(Array(segment))
            pendingCount += segment.count
        }
    }

    /// Keeps the last ``headBytes`` of the oversized line.
    private mutating func keepTail(_ segment: UnsafeBufferPointer<UInt8>) {
        if segment.count >= Self.headBytes {
            tail = Array(segment.suffix(Self.headBytes))
        } else {
            tail.append(contentsOf: segment)
            if tail.count > Self.headBytes { tail.removeFirst(tail.count - Self.headBytes) }
        }
    }

    private mutating func flushLine(emit: (LineEvent) -> Void) {
        if let dropped = discarded {
            emit(.oversized(byteCount: dropped, head: head, tail: tail))
            discarded = nil
            head = []
            tail = []
        } else if !pending.allSatisfy({ $0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }) {
            if pending.count == 1 {
                emit(.line(pending[0]))
            } else {
                var line: [UInt8] = []
                line.reserveCapacity(pendingCount)
                for part in pending { line.append(contentsOf: part) }
                emit(.line(line))
            }
        }
        pending = []
        pendingCount = 0
    }
}

/// Writes whole lines to a file descriptor; safe to call from any thread, one line at a time.
public final class LineWriter: @unchecked Sendable {
    private let fileDescriptor: Int32
    /// The handle that owns the descriptor, when there is one: closing goes through it, so the
    /// descriptor is closed exactly once.
    private let owner: FileHandle?
    private let lock = NSLock()
    private var broken = false

    /// Writes to a descriptor this writer does not own (such as stdout); ``close()`` closes it.
    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        owner = nil
    }

    /// Writes to the descriptor of `fileHandle` (such as a pipe's write end); ``close()`` closes the handle.
    public init(fileHandle: FileHandle) {
        fileDescriptor = fileHandle.fileDescriptor
        owner = fileHandle
    }

    /// Writes `bytes` followed by a newline, in one `writev` when the pipe takes it whole (the
    /// message is never copied to add its newline). Returns `false` once the other end has gone away.
    @discardableResult
    public func writeLine(_ bytes: [UInt8]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if broken { return false }
        var newline: UInt8 = 0x0A
        let total = bytes.count + 1
        var sent = 0
        bytes.withUnsafeBytes { message in
            withUnsafeMutableBytes(of: &newline) { newline in
                // On the stack: a line costs no allocation.
                withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { parts in
                    while sent < total {
                        let rest = sent < message.count ? message.count - sent : 0
                        parts[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: message.baseAddress.map { $0 + sent }), iov_len: rest)
                        parts[1] = iovec(iov_base: newline.baseAddress, iov_len: 1)
                        let written = rest > 0 ? writev(fileDescriptor, parts.baseAddress, 2) : write(fileDescriptor, newline.baseAddress, 1)
                        if written < 0 {
                            if errno == EINTR || errno == EAGAIN { continue }
                            broken = true
                            return
                        }
                        sent += written
                    }
                }
            }
        }
        return !broken
    }

    /// Closes the descriptor once (the reader on the other side sees end of file).
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        if !broken {
            broken = true
            if let owner { try? owner.close() } else { _ = Glibc.close(fileDescriptor) }
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a changed client configuration: a backup of the file as it was, then the new text
/// written to a temporary file beside it (same permissions), flushed, and renamed over it, so
/// that a client reading the file sees the old text or the new, never a part.
enum ConfigFileWriter {
    /// The file changed while the change was being made (a client writes it too).
    struct Changed: Error {}

    /// The backup's path for `path`.
    static func backupPath(for path: String) -> String { path + ".riskkernel-backup" }

    /// Writes `text` over `path`, whose content must still be `original` (else throws ``Changed``);
    /// a symbolic link is followed, so that its target changes and the link stays.
    static func replace(_ path: String, original: String, with text: String) throws {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let mode = ((try? FileManager.default.attributesOfItem(atPath: target))?[.posixPermissions] as? NSNumber)?.uint16Value ?? 0o644
        try writeAtomically(original, to: backupPath(for: path), mode: mode)
        let temporary = try writeTemporary(text, beside: target, mode: mode)
        guard FileManager.default.contents(atPath: target) == Data(original.utf8) else {
            unlink(temporary)
            throw Changed()
        }
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError("\(path): cannot replace the file: \(reason)")
        }
    }

    static func writeAtomically(_ text: String, to path: String, mode: UInt16) throws {
        let temporary = try writeTemporary(text, beside: path, mode: mode)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError("\(path): cannot write: \(reason)")
        }
    }

    /// Writes `text` to a new file in `path`'s directory and flushes it to disk; returns its path.
    static func writeTemporary(_ text: String, beside path: String, mode: UInt16) throws -> String {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).riskkernel-\(UUID().uuidString.prefix(8))").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode_t(mode))
        guard descriptor >= 0 else { throw CLIError("\(temporary): cannot create: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        _ = fchmod(descriptor, mode_t(mode))  // not narrowed by the umask
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard result > 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw CLIError("\(temporary): cannot write: \(reason)")
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            unlink(temporary)
            throw CLIError("\(temporary): cannot flush: \(String(cString: strerror(errno)))")
        }
        return temporary
    }
}

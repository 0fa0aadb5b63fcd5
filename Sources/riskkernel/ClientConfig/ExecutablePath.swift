import Foundation

/// Where the running `riskkernel` binary is, as an absolute path for client configurations.
enum ExecutablePath {
    /// The path it was started by (made absolute, symbolic links kept, so that an installed link
    /// keeps working across upgrades), else its location on `PATH`, else the process's own image.
    static func current() -> String {
        let first = CommandLine.arguments.first ?? ""
        if first.contains("/") {
            let absolute = first.hasPrefix("/") ? first : FileManager.default.currentDirectoryPath + "/" + first
            return URL(fileURLWithPath: absolute).standardized.path
        }
        if !first.isEmpty, let found = search(first, path: ProcessInfo.processInfo.environment["PATH"]) { return found }
        return Bundle.main.executablePath ?? first
    }

    /// The first executable file named `command` in the directories of `path` (a `PATH` value);
    /// `command` itself when it has a `/` and is executable.
    static func search(_ command: String, path: String?) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        for directory in (path ?? "").split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = String(directory) + "/" + command
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }
}

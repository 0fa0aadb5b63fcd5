import Foundation

/// The identity tool pins are kept under when `--server-name` is not given: the upstream's command
/// line, normalized so that two spellings of one server are one identity.
///
/// `python3 py/rug.py` run in `/srv` and `/usr/bin/python3 /srv/py/rug.py` are the same server:
/// the executable is looked up on `PATH` (symbolic links are kept, so upgrading the interpreter a
/// link points to does not reset the pins), an argument that names an existing file or folder
/// relative to the working folder becomes its absolute path, and absolute paths lose `.` and `..`.
/// Options (`-m`, `--flag=value`) and other words stay as written.
public enum ServerIdentity {
    /// The normalized command line, words joined by single spaces.
    ///
    /// - Parameters:
    ///   - command: the upstream's executable and arguments, as given after `--`.
    ///   - directory: the folder relative paths are taken from (the gateway's working folder).
    ///   - searchPath: the `PATH` the executable is looked up on.
    public static func normalized(_ command: [String], directory: String, searchPath: String?) -> String {
        guard let executable = command.first else { return "" }
        let resolved = resolveExecutable(executable, directory: directory, searchPath: searchPath)
        let arguments = command.dropFirst().map { normalizeArgument($0, directory: directory) }
        return ([resolved] + arguments).joined(separator: " ")
    }

    static func resolveExecutable(_ name: String, directory: String, searchPath: String?) -> String {
        if name.contains("/") { return absolute(name, directory: directory) }
        for folder in (searchPath ?? "").split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = absolute(String(folder) + "/" + name, directory: directory)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return name
    }

    static func normalizeArgument(_ argument: String, directory: String) -> String {
        guard !argument.isEmpty, !argument.hasPrefix("-") else { return argument }
        if argument.hasPrefix("/") { return absolute(argument, directory: directory) }
        let candidate = absolute(argument, directory: directory)
        return FileManager.default.fileExists(atPath: candidate) ? candidate : argument
    }

    static func absolute(_ path: String, directory: String) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: directory).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }
}

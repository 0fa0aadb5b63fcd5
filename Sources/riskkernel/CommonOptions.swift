import ArgumentParser
import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

/// Where the database is: `--database-url` (else `RISKKERNEL_DATABASE_URL`) selects PostgreSQL;
/// otherwise SQLite at `--db`, else `RISKKERNEL_DB`, else the user's data directory.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite database file (default: $RISKKERNEL_DB, else the user's data directory).", valueName: "path"))
    var db: String?

    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "A PostgreSQL database to use instead of SQLite, as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: $RISKKERNEL_DATABASE_URL).",
            valueName: "url"))
    var databaseURL: String?

    /// The PostgreSQL URL that will be used, if any.
    var resolvedDatabaseURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if db != nil { return nil }
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["RISKKERNEL_DATABASE_URL"], !url.isEmpty { return url }
        return nil
    }

    /// The SQLite file that will be used, as an absolute path (a relative `--db` or `RISKKERNEL_DB`
    /// is taken from the current folder). The default is `riskkernel/riskkernel.sqlite` in
    /// `$XDG_DATA_HOME`, else in `$HOME/.local/share`, else in the account's home folder.
    var resolvedPath: String {
        let environment = ProcessInfo.processInfo.environment
        let given = db ?? environment["RISKKERNEL_DB"].flatMap { $0.isEmpty ? nil : $0 }
        if let given { return StorePaths.absolute(given) }
        return StorePaths.defaultDatabase(environment: environment)
    }

    /// The store options a printed command needs to reach this same store from any folder, as
    /// shell text: `--db /abs/path.sqlite`, or `--database-url URL` (a URL with a password is
    /// written as `"$RISKKERNEL_DATABASE_URL"` when it came from there, so no password is printed;
    /// with the password masked otherwise).
    var commandOptions: String {
        if let url = resolvedDatabaseURL {
            if databaseURL == nil || databaseURL!.isEmpty { return #"--database-url "$RISKKERNEL_DATABASE_URL""# }
            return "--database-url " + ShellQuote.quote(PostgresStoreConfiguration.redacted(url))
        }
        return "--db " + ShellQuote.quote(resolvedPath)
    }

    /// Opens the store (bringing its schema up to date); PostgreSQL is connected at once, so an
    /// unreachable server is a clear error here.
    ///
    /// Only a command that writes something of its own (`gateway`, `console`, `migrate`, `policy apply`,
    /// `provenance import`) passes `creating: true`; for every other command a SQLite file that
    /// does not exist is an error naming the path, and nothing is created.
    func openStore(maxCheckpointsPerRun: Int = 1000, creating: Bool = false) async throws -> any Store & MigrationStatusReporting {
        if let url = resolvedDatabaseURL {
            let shown = PostgresStoreConfiguration.redacted(url)
            do {
                var configuration = try PostgresStoreConfiguration(url: url)
                configuration.maxCheckpointsPerRun = maxCheckpointsPerRun
                return try await PostgresStore.open(configuration: configuration)
            } catch let error as StoreError {
                throw CLIError("\(shown): \(error)")
            } catch {
                throw CLIError("cannot open the database \(shown): \(error)")
            }
        }
        let path = resolvedPath
        if !creating, !FileManager.default.fileExists(atPath: path) {
            throw CLIError(
                "\(path): no such database (nothing has been recorded there yet); give --db PATH or set RISKKERNEL_DB to read another")
        }
        do {
            return try SQLiteStore(path: path, maxCheckpointsPerRun: maxCheckpointsPerRun)
        } catch let error as StoreError {
            throw CLIError("\(path): \(error)")
        } catch {
            throw CLIError("cannot open the database \(path): \(error)")
        }
    }
}

/// Where files are when no option names them.
enum StorePaths {
    /// `path` made absolute against the current folder, with `.` and `..` resolved; `~/` is the home folder.
    static func absolute(_ path: String) -> String {
        var path = path
        if path == "~" || path.hasPrefix("~/") { path = home(ProcessInfo.processInfo.environment) + path.dropFirst() }
        let url = path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }

    /// `$HOME` when it is set, else the account's home folder.
    static func home(_ environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        return FileManager.default.homeDirectoryForCurrentUser.path
    }

    /// `riskkernel/riskkernel.sqlite` in `$XDG_DATA_HOME` (an absolute path, as the XDG Base
    /// Directory specification requires), else in `$HOME/.local/share`.
    static func defaultDatabase(environment: [String: String]) -> String {
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? home(environment) + "/.local/share"
        return URL(fileURLWithPath: dataHome + "/riskkernel/riskkernel.sqlite").standardizedFileURL.path
    }
}

/// `--json` for listings.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}

/// A failure with a message for people; exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum Output {
    /// Prints a JSON value, pretty and with sorted keys.
    static func printJSON(_ value: JSONValue) {
        print(PrettyJSON.string(value))
    }

    /// Prints to stderr.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// A plain text table with aligned columns.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }

    mutating func add(_ cells: String...) { rows.append(cells) }
    mutating func add(row cells: [String]) { rows.append(cells) }

    func render() -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

enum Formatting {
    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return date.formatted(Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) 
    }

    /// Makes text safe to show on a terminal: control characters (escape sequences among them)
    /// become visible `\u{…}` escapes.
    static func terminalSafe(_ text: String) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format {
                output += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    static func truncate(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }

    static func limit<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "-" }
}

/// Logging to stderr at the level set by `--log-level` or `RISKKERNEL_LOG_LEVEL`.
enum LogSetup {
    static func logger(level: Logger.Level?) -> Logger {
        let resolved = level
            ?? ProcessInfo.processInfo.environment["RISKKERNEL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = resolved
            return TerminalSafeLogHandler(wrapped: handler)
        }
        return Logger(label: "riskkernel")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

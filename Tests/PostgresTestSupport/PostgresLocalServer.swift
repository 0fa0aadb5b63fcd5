import Foundation

/// A throwaway PostgreSQL server in a temporary folder, made with the server binaries of the
/// machine (Debian's `postgresql` package: `/usr/lib/postgresql/VERSION/bin`). For the tests only:
/// it lives in the test-support target `PostgresTestSupport`, not in the shipped library.
///
/// It listens on 127.0.0.1 on a free port (and a socket in its folder) and trusts local
/// connections as user `postgres`. `initdb` refuses to run as root, so as root the server runs as
/// the `postgres` user (via `runuser`), in a folder that user owns.
public final class PostgresLocalServer: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case binariesMissing(String)
        case commandFailed(String)
        public var description: String {
            switch self {
            case .binariesMissing(let message), .commandFailed(let message): return message
            }
        }
    }

    public let binDirectory: String
    public let directory: String
    public let port: Int
    public let username = "postgres"
    private let lock = NSLock()
    private var running = false

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var started: [PostgresLocalServer] = []

    public var dataDirectory: String { directory + "/data" }
    public var logFile: String { directory + "/server.log" }

    /// The URL of `database` on this server.
    public func url(database: String) -> String {
        "postgres://\(username)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Finds the newest `/usr/lib/postgresql/*/bin` that has `initdb` and `pg_ctl` (or `$RISKKERNEL_PG_BIN`).
    public static func findBinaries() throws -> String {
        if let custom = ProcessInfo.processInfo.environment["RISKKERNEL_PG_BIN"], !custom.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: custom + "/initdb") else {
                throw Failure.binariesMissing("RISKKERNEL_PG_BIN=\(custom) has no initdb")
            }
            return custom
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") && FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/pg_ctl") }
            .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        guard let version = versions.first else {
            throw Failure.binariesMissing(
                "no PostgreSQL server binaries in \(root)/*/bin (initdb, pg_ctl); install Debian's postgresql package (apt-get install postgresql) or set RISKKERNEL_PG_BIN")
        }
        return "\(root)/\(version)/bin"
    }

    /// Makes the folder, runs `initdb` and starts the server.
    public init() throws {
        binDirectory = try Self.findBinaries()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-pg-\(UUID().uuidString.prefix(8))").path
        port = try Self.freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        if Self.isRoot {
            try Self.run("/bin/chown", ["postgres:postgres", directory])
        }
        try runAsOwner(binDirectory + "/initdb", ["-D", dataDirectory, "-U", username, "--auth=trust", "--encoding=UTF8", "--locale=C", "-N"])
        try start()
        Self.registryLock.lock()
        Self.started.append(self)
        let first = Self.started.count == 1
        Self.registryLock.unlock()
        if first { atexit { PostgresLocalServer.stopAll() } }
    }

    /// Starts the server (again) and waits until it accepts connections.
    public func start() throws {
        try runAsOwner(binDirectory + "/pg_ctl", [
            "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o",
            "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start",
        ])
        lock.lock()
        running = true
        lock.unlock()
    }

    /// Stops the server (fast: sessions are ended, connections dropped).
    public func stop() throws {
        try runAsOwner(binDirectory + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
        lock.lock()
        running = false
        lock.unlock()
    }

    /// Creates an empty database.
    public func createDatabase(_ name: String) throws {
        try Self.run(binDirectory + "/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", username, name])
    }

    /// Runs SQL with `psql` (when installed next to the server) and returns its unaligned output.
    @discardableResult
    public func psql(database: String, _ sql: String) throws -> String {
        try Self.run(binDirectory + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", username, "-d", database, "-c", sql])
    }

    /// Stops every server this process started (registered with `atexit`).
    public static func stopAll() {
        registryLock.lock()
        let servers = started
        started.removeAll()
        registryLock.unlock()
        for server in servers {
            server.lock.lock()
            let running = server.running
            server.lock.unlock()
            if running {
                _ = try? server.runAsOwner(server.binDirectory + "/pg_ctl", ["-D", server.dataDirectory, "-m", "immediate", "-w", "stop"])
            }
            try? FileManager.default.removeItem(atPath: server.directory)
        }
    }

    static var isRoot: Bool { geteuid() == 0 }

    @discardableResult
    private func runAsOwner(_ executable: String, _ arguments: [String]) throws -> String {
        if Self.isRoot {
            return try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
        }
        return try Self.run(executable, arguments)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        // posix_spawn and waitpid rather than Foundation's Process, whose termination monitoring can
        // stall when many tests start commands at once; output goes to a file, not a pipe, because a
        // server started by `pg_ctl` may inherit a pipe's write end and never let it reach EOF.
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-pg-cmd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        #else
        var actions: posix_spawn_file_actions_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The server outlives the command that starts it: it must not keep any other descriptor of
        // this process (a child's stdin pipe held open by it would never reach end of file).
        closeInheritedDescriptors(&actions)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure.commandFailed("cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure.commandFailed("waitpid failed for \(executable)") }
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            throw Failure.commandFailed("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }

    #if os(Linux)
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not import.
    private static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// Closes every descriptor above stderr in the child: with `closefrom` when glibc has it, else one by one.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom, closeFrom(&actions, 3) == 0 { return }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
    #else
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t?) {}
    #endif

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    static func freePort() throws -> Int {
        #if os(Linux)
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let socketDescriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socketDescriptor >= 0 else { throw Failure.commandFailed("socket() failed") }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure.commandFailed("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketDescriptor, $0, &length) }
        }
        guard named == 0 else { throw Failure.commandFailed("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The least any stdio proxy can cost: a process between client and server that copies bytes
/// both ways with one blocking thread per direction, and does nothing else (no parsing, no policy,
/// no ledger). The suite measures it beside the gateway, so that the floor set by the extra process
/// and its two pipe hops on this machine is a figure of the same run.
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Copy stdin to a server and its stdout back, unchanged (the floor of any stdio proxy).")

    @Argument(parsing: .postTerminator, help: "The server command (an absolute path first).")
    var command: [String]

    func validate() throws {
        guard command.first?.hasPrefix("/") == true else { throw ValidationError("give the server as an absolute path after --") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let server = try Child(command, stderrPath: "/dev/stderr")
        let toServer = server.input
        let fromServer = server.output.fileDescriptor
        // End of the client's input closes the server's, so that it exits like a direct server would.
        startThread { copyBytes(from: 0, to: toServer); close(toServer) }
        copyBytes(from: fromServer, to: 1)
        var status: Int32 = 0
        while waitpid(server.pid, &status, 0) < 0, errno == EINTR {}
    }
}

/// Copies until end of file or a write fails.
func copyBytes(from source: Int32, to destination: Int32) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let count = read(source, buffer.baseAddress, buffer.count)
        if count < 0, errno == EINTR { continue }
        guard count > 0, writeAll(destination, UnsafeRawBufferPointer(rebasing: buffer[..<count])) else { return }
    }
}

import ArgumentParser
import RiskKernelCore

struct UnwrapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unwrap",
        abstract: "Put the servers `riskkernel wrap` wrapped back as they were.",
        discussion: """
            Each entry that starts `riskkernel gateway` gets back the command and arguments after its `--`, \
            written as they were; entries that are not wrapped (edited since, or never wrapped) and the rest \
            of the file are not touched. Takes the options of `riskkernel wrap`; the policy and store options \
            are accepted and ignored.
            """)

    @OptionGroup var options: ClientConfigOptions

    @Option(help: ArgumentHelp("Accepted for symmetry with wrap; ignored.", valueName: "name"))
    var policy: String?

    @Option(help: ArgumentHelp("Accepted for symmetry with wrap; ignored.", valueName: "path"))
    var db: String?

    @Option(name: .customLong("database-url"), help: ArgumentHelp("Accepted for symmetry with wrap; ignored.", valueName: "url"))
    var databaseURL: String?

    func run() throws {
        try ClientConfigRewrite.run(options, verb: "unwrap") { text, format, only in
            try ClientConfigEditor.unwrap(text, format: format, only: only)
        }
    }
}

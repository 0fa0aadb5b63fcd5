import ArgumentParser

@main
struct RiskKernelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "riskkernel",
        abstract: "A governance gateway for AI agents: policies, approvals, budgets and a durable ledger for MCP tool calls.",
        discussion: """
            Wrap an MCP server:   riskkernel gateway --policy dev -- uvx mcp-server-git
            Decide held calls:    riskkernel console (a web page), or riskkernel approvals watch
            See the whole job:    riskkernel demo
            """,
        version: RiskKernelVersion.current,
        subcommands: [
            GatewayCommand.self, PolicyCommand.self, ApprovalsCommand.self, RunsCommand.self, UsageCommand.self,
            AuditCommand.self, CheckpointsCommand.self, AttributionCommand.self, PricesCommand.self, MigrateCommand.self,
            LLMProxyCommand.self, ConsoleCommand.self, DemoCommand.self, DemoServerCommand.self,
            ProvenanceCommand.self, KeysCommand.self, ToolsCommand.self,
            WrapCommand.self, UnwrapCommand.self, DoctorCommand.self,
        ])
}

enum RiskKernelVersion {
    static let current = "0.1.0"
}

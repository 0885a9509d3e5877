/// Every subcommand, in the order `rlhf --help` lists them.
public enum CommandRegistry {
    public static let all: [Command.Type] = [
        InitCommand.self,
        LogprobsCommand.self,
        BenchModelCommand.self,
    ]
}

/// Every subcommand, in the order `rlhf --help` lists them.
public enum CommandRegistry {
    nonisolated(unsafe) public static let all: [Command.Type] = [
        InitCommand.self,
        ImportCommand.self,
        ExportPreferencesCommand.self,
        SplitCommand.self,
        StatsCommand.self,
        LabelCommand.self,
        AgreementCommand.self,
        GuidelinesSetCommand.self,
        GuidelinesShowCommand.self,
        RunsCommand.self,
        MetricsCommand.self,
        DatasetGenerateCommand.self,
        GoldScoreCommand.self,
        SimulateLabelsCommand.self,
        TokenizerTrainCommand.self,
        TokenizerEncodeCommand.self,
        TokenizerDecodeCommand.self,
        LogprobsCommand.self,
        // Policy training (issue 10).
        PretrainCommand.self,
        SFTCommand.self,
        GenerateCommand.self,
        ChatCommand.self,
        // Reward model (issue 11).
        TrainRMCommand.self,
        ScoreCommand.self,
        BenchRMCommand.self,
        DemoCommand.self,
        BenchStoreCommand.self,
        BenchTokenizerCommand.self,
        BenchLabelCommand.self,
        BenchModelCommand.self,
        // Sampling and Hugging Face models (issue 9)
        SampleCommand.self,
        ModelImportCommand.self,
        BenchSampleCommand.self,
    ]
}

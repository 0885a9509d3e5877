import RLHFStore

struct SplitCommand: Command {
    static let name = "split"
    static let abstract = "Assign prompts to train / validation / test, reproducibly"
    static let usage = "rlhf split --validation-fraction F --test-fraction G [--seed S] [--reassign] [--store PATH]"
    static let options: [OptionSpec] = [
        StoreOption.spec,
        .value("--validation-fraction", "F", "share of prompts for validation (0-1)"),
        .value("--test-fraction", "G", "share of prompts for test (0-1)"),
        .value("--seed", "S", "seed of the assignment (default 0)"),
        .flag("--reassign", "reassign all prompts, not only those without a split"),
    ]
    static let discussion = """
        Completions and labels follow their prompt. Without --reassign, only unassigned prompts move, so
        a split given at import is kept. The same prompts and seed give the same split on every machine.
        """

    let storePath: String
    let validation: Double
    let test: Double
    let seed: UInt64
    let reassign: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
        guard let v = try arguments.double("--validation-fraction", range: 0...1) else {
            throw UsageError("rlhf split needs --validation-fraction F")
        }
        guard let t = try arguments.double("--test-fraction", range: 0...1) else {
            throw UsageError("rlhf split needs --test-fraction G")
        }
        guard v + t <= 1 else { throw UsageError("--validation-fraction plus --test-fraction must be at most 1, got \(v + t)") }
        validation = v
        test = t
        seed = try arguments.uint64("--seed") ?? 0
        reassign = arguments.flag("--reassign")
    }

    func run(_ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context)
        let s = try store.assignSplits(validationFraction: validation, testFraction: test, seed: seed, reassign: reassign)
        context.say("assigned \(s.assigned) prompts: \(s.train) train, \(s.validation) validation, \(s.test) test")
    }
}

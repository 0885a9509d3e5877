import RLHFStore

struct InitCommand: Command {
    static let name = "init"
    static let abstract = "Create a store, or upgrade one to this binary's schema"
    static let usage = "rlhf init [--store PATH]"
    static let options: [OptionSpec] = [StoreOption.spec]

    let storePath: String

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
    }

    func run(_ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context, create: true)
        if !store.wasCreated && store.upgradedVersions.isEmpty {
            context.say("store \(storePath) is up to date (schema version \(store.schemaVersion))")
        }
    }
}

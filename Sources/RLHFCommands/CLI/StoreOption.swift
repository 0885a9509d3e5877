/// `--store PATH`, else `$RLHF_STORE`, else `rlhf.sqlite` in the working directory.
enum StoreOption {
    static let spec = OptionSpec.value("--store", "PATH", "the store (default $RLHF_STORE, else ./rlhf.sqlite)")

    static func path(_ arguments: ParsedArguments, _ context: CommandContext) -> String {
        if let given = arguments.string("--store") { return context.resolve(given) }
        if let env = context.environment["RLHF_STORE"], !env.isEmpty { return context.resolve(env) }
        return context.resolve("rlhf.sqlite")
    }
}

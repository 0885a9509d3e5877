import Foundation
import RLHFStore

/// `--store PATH`, else `$RLHF_STORE`, else `rlhf.sqlite` in the working directory.
enum StoreOption {
    static let spec = OptionSpec.value("--store", "PATH", "the store (default $RLHF_STORE, else ./rlhf.sqlite)")

    static func path(_ arguments: ParsedArguments, _ context: CommandContext) -> String {
        if let given = arguments.string("--store") { return context.resolve(given) }
        if let env = context.environment["RLHF_STORE"], !env.isEmpty { return context.resolve(env) }
        return context.resolve("rlhf.sqlite")
    }

    /// Opens the store, saying on stderr when it was created or upgraded.
    static func open(_ path: String, _ context: CommandContext, create: Bool = false) throws -> Store {
        let store = try Store(path: path, mode: create ? .createIfMissing : .mustExist)
        if store.wasCreated {
            context.say("created store \(path) (schema version \(store.schemaVersion))")
        } else if !store.upgradedVersions.isEmpty {
            context.say("upgraded store \(path) to schema version \(store.schemaVersion) (applied \(store.upgradedVersions.map(String.init).joined(separator: ", ")))")
        }
        return store
    }
}

/// `--split`, `--annotator`, `--source`: the label filter every reader of labels takes.
enum FilterOptions {
    static let specs: [OptionSpec] = [
        .repeating("--split", "SPLIT", "only prompts of these splits: train, validation, test (default all)"),
        .repeating("--annotator", "NAME", "only labels by these annotators (default all)"),
        .repeating("--source", "SOURCE", "only labels from these sources: human, simulated, imported, imported:<file>"),
    ]

    static func splits(_ arguments: ParsedArguments) throws -> [Split] {
        try arguments.choices("--split", Split.allCases.map(\.rawValue)).compactMap(Split.init(rawValue:))
    }

    static func filter(_ arguments: ParsedArguments) throws -> LabelFilter {
        LabelFilter(splits: try splits(arguments), annotators: arguments.strings("--annotator"),
                    sources: arguments.strings("--source"))
    }
}

import RLHFData

import Foundation
import RLHFStore

struct GuidelinesSetCommand: Command {
    static let name = "guidelines set"
    static let abstract = "Store a new version of the labeling guidelines (every label records its version)"
    static let usage = "rlhf guidelines set FILE [--store PATH]"
    static let options: [OptionSpec] = [StoreOption.spec]
    static let positionals = 1...1

    let storePath: String
    let file: String

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
        file = context.resolve(arguments.positionals[0])
    }

    func run(_ context: CommandContext) throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("cannot read \(file)") }
        guard let text = String(validating: data, as: UTF8.self), !text.allSatisfy(\.isWhitespace) else {
            throw CommandFailure("\(file): guidelines must be non-empty UTF-8 text")
        }
        let store = try StoreOption.open(storePath, context, create: true)
        let version = try store.setGuidelines(text)
        context.say("guidelines version \(version) stored; labels from now on record it")
    }
}

struct GuidelinesShowCommand: Command {
    static let name = "guidelines show"
    static let abstract = "Print the current labeling guidelines"
    static let usage = "rlhf guidelines show [--store PATH]"
    static let options: [OptionSpec] = [StoreOption.spec]

    let storePath: String

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
    }

    func run(_ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context)
        guard let current = try store.currentGuidelines() else { throw CommandFailure("no guidelines set: use rlhf guidelines set FILE") }
        context.say("guidelines version \(current.version)")
        try context.stdout.write(current.text.hasSuffix("\n") ? current.text : current.text + "\n")
    }
}

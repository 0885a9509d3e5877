import Foundation
import RLHFCore

/// The entry point: finds the subcommand, parses its arguments, runs it, and maps errors to exit
/// codes in one place (0 success, 1 failure, 2 usage). Data goes to stdout; `error: ...` to stderr.
public enum RLHF {
    public static let version = "0.1.0"

    public static func main(_ arguments: [String], context: CommandContext) -> Int32 {
        defer { try? context.stdout.flush() }
        let words = arguments
        if words.isEmpty || words == ["--help"] || words == ["-h"] || words == ["help"] {
            try? context.stdout.write(overview())
            return 0
        }
        if words == ["--version"] {
            try? context.stdout.write("rlhf \(version)\n")
            return 0
        }
        // Longest registered name that the leading words spell.
        var match: (Command.Type, Int)? = nil
        for command in CommandRegistry.all {
            let nameWords = command.name.split(separator: " ").map(String.init)
            if words.count >= nameWords.count, Array(words.prefix(nameWords.count)) == nameWords,
               nameWords.count > (match?.1 ?? 0) {
                match = (command, nameWords.count)
            }
        }
        guard let (command, consumed) = match else {
            return unknownCommand(words, context: context)
        }
        let rest = Array(words.dropFirst(consumed))
        if rest.contains("--help") || rest.contains("-h") {
            try? context.stdout.write(help(for: command))
            return 0
        }
        do {
            let parsed = try ParsedArguments(command: command.name, arguments: rest, options: command.options,
                                             positionals: command.positionals)
            let instance = try command.init(parsed, context: context)
            try instance.run(context)
            try context.stdout.flush()
            return 0
        } catch let error as UsageError {
            try? context.stdout.flush()
            context.say("error: \(error.message)")
            return 2
        } catch {
            try? context.stdout.flush()
            context.say("error: \(error)")
            return 1
        }
    }

    /// A group word alone ("rlhf tokenizer") lists its subcommands; anything else is a usage error.
    static func unknownCommand(_ words: [String], context: CommandContext) -> Int32 {
        let group = words[0]
        let members = CommandRegistry.all.filter { $0.name.hasPrefix(group + " ") }
        if !members.isEmpty {
            let asked = words.count > 1 ? words[1] : nil
            if asked == nil || asked == "--help" || asked == "-h" {
                var text = "usage: rlhf \(group) <command> [options]\n\ncommands:\n"
                for m in members { text += "  " + pad(m.name, 24) + m.abstract + "\n" }
                try? (asked == nil ? context.stderr : context.stdout).write(text)
                return asked == nil ? 2 : 0
            }
            var message = "unknown command 'rlhf \(group) \(asked!)'"
            let names = members.map { String($0.name.dropFirst(group.count + 1)) }
            if let guess = Suggest.closest(to: asked!, among: names) { message += "; did you mean 'rlhf \(group) \(guess)'?" }
            context.say("error: \(message) (see rlhf \(group) --help)")
            return 2
        }
        var message = "unknown command '\(group)'"
        let firstWords = Array(Set(CommandRegistry.all.map { String($0.name.split(separator: " ")[0]) }))
        if let guess = Suggest.closest(to: group, among: firstWords) { message += "; did you mean '\(guess)'?" }
        context.say("error: \(message) (see rlhf --help)")
        return 2
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    public static func overview() -> String {
        var text = """
        rlhf \(version): an RLHF workbench. Preference data in a SQLite store, a terminal labeling loop,
        GPT-2 pretraining and SFT, a Bradley-Terry reward model and PPO, all on one CPU machine.

        usage: rlhf <command> [options]      (rlhf <command> --help for its options)

        commands:

        """
        for command in CommandRegistry.all {
            text += "  " + pad(command.name, 24) + command.abstract + "\n"
        }
        text += "\nThe store is --store PATH, else $RLHF_STORE, else rlhf.sqlite in the working directory.\n"
        return text
    }

    public static func help(for command: Command.Type) -> String {
        var text = "usage: \(command.usage)\n\n\(command.abstract)\n"
        if !command.options.isEmpty {
            text += "\noptions:\n"
            for option in command.options {
                let left = option.kind == .flag ? option.name : "\(option.name) \(option.valueName)"
                text += "  " + pad(left, 28) + option.help + "\n"
            }
        }
        if !command.discussion.isEmpty { text += "\n" + command.discussion + "\n" }
        return text
    }
}

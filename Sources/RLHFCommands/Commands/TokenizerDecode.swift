import RLHFCore
import RLHFTokenizer

struct TokenizerDecodeCommand: Command {
    static let name = "tokenizer decode"
    static let abstract = "Decode token ids to text"
    static let usage = """
        rlhf tokenizer decode --tokenizer DIR ID...
               rlhf tokenizer decode --tokenizer DIR --jsonl < ids.jsonl
        """
    static let discussion = """
        With IDs (separate arguments, or one argument of ids separated by spaces or commas): prints the
        text, then a newline. With --jsonl: reads {"ids": [...]} lines from stdin and writes one
        {"text": ...} line for each, in order (byte-exact, for scripts). Ids whose bytes are not valid
        UTF-8 (a sequence cut in the middle of a character) are an error.
        """
    static let options: [OptionSpec] = [
        TokenizerOption.spec,
        .flag("--jsonl", "read {\"ids\": [...]} lines from stdin, write {\"text\": ...} lines"),
    ]
    static let positionals: ClosedRange<Int> = 0...Int.max

    let directory: String
    let jsonl: Bool
    let ids: [Int]

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        directory = try TokenizerOption.directory(arguments, context, command: Self.name)
        jsonl = arguments.flag("--jsonl")
        var ids: [Int] = []
        for argument in arguments.positionals {
            for word in argument.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" }) {
                guard let id = Int(word) else { throw UsageError("'\(word)' is not a token id") }
                ids.append(id)
            }
        }
        self.ids = ids
        if jsonl && !arguments.positionals.isEmpty { throw UsageError("give IDs or --jsonl, not both") }
        if !jsonl && arguments.positionals.isEmpty { throw UsageError("give the IDs to decode, or --jsonl to read JSON lines from stdin") }
    }

    func run(_ context: CommandContext) throws {
        let tokenizer = try BPETokenizer(directory: directory)
        if !jsonl {
            try context.stdout.write(try tokenizer.decode(ids) + "\n")
            return
        }
        var writer = JSONWriter(capacity: 1 << 16)
        // On an error, the lines before it are still written: the output stays a prefix of the answer.
        do {
            try TokenizerOption.forEachJSONLine(context) { number, object in
                guard let values = object["ids"]?.arrayValue else {
                    throw CommandFailure("stdin line \(number): expected an array field \"ids\"")
                }
                var ids: [Int] = []
                ids.reserveCapacity(values.count)
                for value in values {
                    guard let id = value.intValue else {
                        throw CommandFailure("stdin line \(number): \(JSONWriter.encode(value)) is not a token id")
                    }
                    ids.append(id)
                }
                let text: String
                do { text = try tokenizer.decode(ids) } catch {
                    throw CommandFailure("stdin line \(number): \(error)")
                }
                writer.raw("{\"text\":")
                writer.string(text)
                writer.raw("}\n")
                if writer.bytes.count > 1 << 16 {
                    try context.stdout.write(writer.bytes)
                    writer.reset()
                }
            }
        } catch {
            try? context.stdout.write(writer.bytes)
            throw error
        }
        try context.stdout.write(writer.bytes)
    }
}

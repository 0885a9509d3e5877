import RLHFCore
import RLHFTokenizer

struct TokenizerEncodeCommand: Command {
    static let name = "tokenizer encode"
    static let abstract = "Encode text to token ids"
    static let usage = """
        rlhf tokenizer encode --tokenizer DIR [--ordinary] TEXT
               rlhf tokenizer encode --tokenizer DIR [--ordinary] --jsonl < texts.jsonl
        """
    static let discussion = """
        With TEXT: one line per token, its id and its spelling in the vocabulary, separated by a tab
        (GPT-2 spells a space as Ġ and a newline as Ċ).
        With --jsonl: reads {"text": ...} lines from stdin and writes one {"ids": [...]} line for each, in
        order. The text of a special token (<|endoftext|>) becomes that token unless --ordinary is given
        (--ordinary is how training data is encoded: the text never ends a sequence early).
        """
    static let options: [OptionSpec] = [
        TokenizerOption.spec,
        .flag("--jsonl", "read {\"text\": ...} lines from stdin, write {\"ids\": [...]} lines"),
        .flag("--ordinary", "never turn special-token text into the special token"),
    ]
    static let positionals: ClosedRange<Int> = 0...1

    let directory: String
    let jsonl: Bool
    let ordinary: Bool
    let text: String?

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        directory = try TokenizerOption.directory(arguments, context, command: Self.name)
        jsonl = arguments.flag("--jsonl")
        ordinary = arguments.flag("--ordinary")
        text = arguments.positionals.first
        if jsonl && text != nil { throw UsageError("give TEXT or --jsonl, not both") }
        if !jsonl && text == nil { throw UsageError("give the TEXT to encode, or --jsonl to read JSON lines from stdin") }
        if let text { try TokenizerOption.checkArgumentIsUTF8(text) }
    }

    func run(_ context: CommandContext) throws {
        let tokenizer = try BPETokenizer(directory: directory)
        let encode: (String) -> [Int] = ordinary ? tokenizer.encodeOrdinary : tokenizer.encodeAllowingSpecialTokens
        if let text {
            var out = ""
            for id in encode(text) {
                out += "\(id)\t\(tokenizer.vocabulary.spelling(of: id) ?? "")\n"
            }
            try context.stdout.write(out)
            return
        }
        var writer = JSONWriter(capacity: 1 << 16)
        // On an error, the lines before it are still written: the output stays a prefix of the answer.
        do {
            try TokenizerOption.forEachJSONLine(context) { number, object in
                guard let text = object["text"]?.stringValue else {
                    throw CommandFailure("stdin line \(number): expected a string field \"text\"")
                }
                writer.raw("{\"ids\":[")
                for (i, id) in encode(text).enumerated() {
                    if i > 0 { writer.raw(",") }
                    writer.int(id)
                }
                writer.raw("]}\n")
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

import Foundation
import RLHFCore
import RLHFModel
import RLHFTokenizer

/// `rlhf logprobs`: how likely a model finds a token sequence, token by token.
struct LogprobsCommand: Command {
    static let name = "logprobs"
    static let abstract = "Log-probability of each token of a text or id list under a model, and the perplexity"
    static let usage = "rlhf logprobs --model DIR [--json] (TEXT | --ids 1,2,3)"
    static let discussion = """
    DIR is a checkpoint of ours or a plain Hugging Face GPT-2 folder (config.json, model.safetensors); a
    manifest.json, when present, is verified first. For each token after the first: its log-probability
    given the tokens before it. The perplexity is exp(-mean log-probability). With --json, one object
    {"ids": [...], "logprobs": [...], "perplexity": x}; logprobs has one entry fewer than ids.
    """
    static let options: [OptionSpec] = [
        .value("--model", "DIR", "model folder (required)"),
        .repeating("--ids", "IDS", "token ids, comma-separated, instead of TEXT"),
        .flag("--json", "print one JSON object instead of a table"),
    ]
    static let positionals: ClosedRange<Int> = 0...1

    let modelDirectory: String
    let ids: [Int]?
    let text: String?
    let json: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        guard let model = arguments.string("--model") else {
            throw UsageError("rlhf logprobs needs --model DIR (see rlhf logprobs --help)")
        }
        modelDirectory = context.resolve(model)
        json = arguments.flag("--json")
        let idTexts = arguments.strings("--ids")
        text = arguments.positionals.first
        if !idTexts.isEmpty && text != nil { throw UsageError("give either TEXT or --ids, not both") }
        if idTexts.isEmpty && text == nil { throw UsageError("give a TEXT to score or --ids 1,2,3 (see rlhf logprobs --help)") }
        if idTexts.isEmpty {
            ids = nil
        } else {
            var parsed: [Int] = []
            for item in idTexts {
                let trimmed = item.trimmingCharacters(in: .whitespaces)
                guard let id = Int(trimmed), id >= 0 else {
                    throw UsageError("--ids wants non-negative integers separated by commas, got '\(item)'")
                }
                parsed.append(id)
            }
            guard parsed.count >= 2 else {
                throw UsageError("--ids needs at least two ids: the first is only context for the second")
            }
            ids = parsed
        }
    }

    func run(_ context: CommandContext) throws {
        let ids = try self.ids ?? encodeText(context)
        let model = try Checkpoint.load(from: modelDirectory).model
        let result = try SequenceLogProbabilities.compute(model: model, ids: ids)
        if json {
            // Spelled as the issue shows it (Python's json.dumps spacing).
            let line = "{\"ids\": [" + ids.map(String.init).joined(separator: ", ") + "], \"logprobs\": ["
                + result.logProbabilities.map { JSONWriter.format(Double($0)) }.joined(separator: ", ")
                + "], \"perplexity\": " + JSONWriter.format(result.perplexity) + "}\n"
            try context.stdout.write(line)
        } else {
            var table = "position\tid\tlogprob\n"
            for (i, logp) in result.logProbabilities.enumerated() {
                table += "\(i + 1)\t\(ids[i + 1])\t\(String(format: "%.6f", logp))\n"
            }
            table += "perplexity\t\(String(format: "%.4f", result.perplexity))\n"
            try context.stdout.write(table)
        }
    }

    /// TEXT through the model folder's own tokenizer, with ordinary encoding: `<|endoftext|>` typed in
    /// the text stays text, as in every training path (the serialiser appends end-of-text by id).
    private func encodeText(_ context: CommandContext) throws -> [Int] {
        guard let text else { return [] }
        try TokenizerOption.checkArgumentIsUTF8(text)
        let tokenizer: BPETokenizer
        do {
            tokenizer = try BPETokenizer(directory: modelDirectory)
        } catch {
            throw CommandFailure("\(modelDirectory) has no usable tokenizer (\(error)); score ids with --ids, "
                + "or copy tokenizer.json into the model folder")
        }
        let ids = tokenizer.encodeOrdinary(text)
        guard ids.count >= 2 else {
            throw CommandFailure("TEXT encodes to \(ids.count) token\(ids.count == 1 ? "" : "s"); scoring needs "
                + "at least two: the first is only context for the second")
        }
        return ids
    }
}

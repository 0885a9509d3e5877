import Foundation
import RLHFCore
import RLHFModel
import RLHFTokenizer

/// `rlhf sample`: completions of one prompt, for trying a model by hand (the store-backed
/// `rlhf generate` comes with SFT).
struct SampleCommand: Command {
    static let name = "sample"
    static let abstract = "Sample completions of a prompt from a model"
    static let usage = "rlhf sample --model DIR --prompt TEXT [--samples K] [--temperature T] [--top-k K] [--top-p P] [--max-tokens N] [--seed S] [--weights f32|bf16] [--tokenizer DIR] [--json]"
    static let discussion = """
    DIR is a checkpoint of ours or a Hugging Face GPT-2 folder; the tokenizer is read from it
    (tokenizer.json, or encoder.json + vocab.bpe) unless --tokenizer names another folder. Defaults are
    Hugging Face generate's: temperature 1, top-k 50, top-p 1; 64 new tokens; seed 0. Temperature 0 is
    greedy. A completion ends at end-of-text (not printed) or after --max-tokens. The prompt is cut from
    the left when it and the new tokens do not fit the context. Sample k draws from random stream k of
    the seed, so the same seed gives the same completions however many are asked for.
    Plain output: a header line per sample, then its text. With --json, one object per line:
    {"sample": k, "text": ..., "ids": [...], "logprobs": [...], "stopped": true|false}; logprobs are
    log_softmax(logits / temperature) at each sampled id, before top-k/top-p.
    """
    static let options: [OptionSpec] = [
        .value("--model", "DIR", "model folder (required)"),
        .value("--prompt", "TEXT", "the prompt (required; may be empty)"),
        .value("--samples", "K", "completions to sample (default 1)"),
    ] + SamplingOptions.specs(temperature: 1, topK: 50) + [
        .value("--tokenizer", "DIR", "tokenizer folder, when it is not in the model folder"),
        .flag("--json", "one JSON object per sample"),
    ]

    let modelDirectory: String
    let tokenizerDirectory: String
    let prompt: String
    let samples: Int
    let settings: SamplingSettings
    let seed: UInt64
    let weights: SamplingWeights
    let json: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        guard let model = arguments.string("--model") else {
            throw UsageError("rlhf sample needs --model DIR (see rlhf sample --help)")
        }
        guard let prompt = arguments.string("--prompt") else {
            throw UsageError("rlhf sample needs --prompt TEXT (use --prompt '' to sample from nothing)")
        }
        try TokenizerOption.checkArgumentIsUTF8(prompt)
        modelDirectory = context.resolve(model)
        tokenizerDirectory = arguments.string("--tokenizer").map(context.resolve) ?? modelDirectory
        self.prompt = prompt
        samples = try arguments.int("--samples", range: 1...4096) ?? 1
        let sampling = try SamplingOptions(arguments, temperature: 1, topK: 50)
        settings = sampling.settings()
        seed = sampling.seed
        weights = sampling.weights
        json = arguments.flag("--json")
    }

    func run(_ context: CommandContext) throws {
        let model = try Checkpoint.load(from: modelDirectory).model
        let tokenizer: BPETokenizer
        do { tokenizer = try BPETokenizer(directory: tokenizerDirectory) } catch {
            throw CommandFailure("cannot read a tokenizer from \(tokenizerDirectory) (\(error)); "
                                 + "pass --tokenizer DIR with tokenizer.json, or encoder.json + vocab.bpe")
        }
        if settings.maxNewTokens >= model.config.contextLength {
            throw UsageError("--max-tokens must be below the model's context of \(model.config.contextLength)")
        }
        let endOfText = tokenizer.vocabulary.endOfTextID
        var ids = tokenizer.encodeOrdinary(prompt)
        if ids.isEmpty {
            guard let endOfText else { throw CommandFailure("the prompt is empty and the tokenizer has no <|endoftext|> to start from") }
            ids = [endOfText]   // GPT-2's convention for "no prompt"
        }
        var settings = self.settings
        settings.stopTokens = endOfText.map { [$0] } ?? []
        let requests = (0..<samples).map { SamplingRequest(prompt: ids, seed: seed, stream: UInt64($0)) }
        let results = try Sampler(model: model, weights: weights).sample(requests, settings: settings)
        if let first = results.first, first.promptTokensDropped > 0 {
            context.say("note: the prompt lost its first \(first.promptTokensDropped) tokens to fit the context")
        }
        for (k, result) in results.enumerated() {
            let completion = result.stopped ? Array(result.tokens.dropLast()) : result.tokens
            let text = try tokenizer.decodeLossy(completion)
            if json {
                var writer = JSONWriter()
                writer.raw("{")
                writer.key("sample", first: true); writer.int(k)
                writer.key("text"); writer.string(text)
                writer.key("ids"); writer.rawString("[" + result.tokens.map(String.init).joined(separator: ",") + "]")
                writer.key("logprobs")
                writer.rawString("[" + result.logProbabilities.map { JSONWriter.format(Double($0)) }.joined(separator: ",") + "]")
                writer.key("stopped"); writer.bool(result.stopped)
                writer.raw("}\n")
                try context.stdout.write(writer.bytes)
            } else {
                let ending = result.stopped ? "ended at end-of-text" : "reached --max-tokens"
                try context.stdout.write("--- sample \(k + 1) of \(samples): \(completion.count) tokens, \(ending)\n\(text)\n")
            }
        }
    }
}

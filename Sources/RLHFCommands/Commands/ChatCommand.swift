import Foundation
import RLHFCore
import RLHFModel
import RLHFTrain

/// `rlhf chat`: try a policy by hand, one prompt at a time.
struct ChatCommand: Command {
    static let name = "chat"
    static let abstract = "Type a prompt, read the model's completion; one prompt at a time"
    static let usage = "rlhf chat --model DIR [--temperature T] [--top-p P] [--top-k K] [--max-tokens N] [--seed S] [--weights f32|bf16]"
    static let discussion = """
        Each line read from stdin is one prompt, encoded on its own as SFT and generate encode stored prompts
        (so type it as the store holds prompts, e.g. "Write a short review of the red kettle:"). The
        completion goes to stdout, one line per prompt (newlines inside it shown as \\n). No history is kept
        between prompts. An empty line is skipped; end of input or "/quit" ends. The n-th prompt draws from
        stream n of the seed, so a scripted session repeats exactly.
        """
    static let options: [OptionSpec] = [
        .value("--model", "DIR", "the model folder, with its tokenizer (required)"),
    ] + SamplingOptions.specs(temperature: 0.7, topK: 0)

    let modelDirectory: String
    let settings: SamplingSettings
    let seed: UInt64
    let weights: SamplingWeights

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        guard let model = arguments.string("--model") else { throw UsageError("'rlhf chat' needs --model DIR") }
        modelDirectory = context.resolve(model)
        let sampling = try SamplingOptions(arguments, temperature: 0.7, topK: 0)
        settings = sampling.settings()
        seed = sampling.seed
        weights = sampling.weights
    }

    func run(_ context: CommandContext) throws {
        let policy = try PolicyModel.load(modelDirectory, store: nil)
        let model = policy.model
        let sampler = try PolicySampler(model: model, tokenizer: policy.tokenizer, weights: weights)
        var settings = self.settings
        settings.maxNewTokens = min(settings.maxNewTokens, model.config.contextLength - 1)
        let interactive = context.stdinIsTerminal
        if interactive {
            context.say("model \(modelDirectory): \(model.config.layers) layers x \(model.config.channels); one prompt per line, /quit or Ctrl-D to end")
        }
        let reader = LineReader(source: context.stdin)
        var turn: Int64 = 0
        while true {
            if interactive { try context.stderr.write("> "); try context.stderr.flush() }
            guard let bytes = try reader.nextLineBytes() else { break }
            var prompt = String(decoding: bytes, as: UTF8.self)
            if prompt.hasSuffix("\r") { prompt.removeLast() }
            if prompt == "/quit" { break }
            if prompt.isEmpty { continue }
            var reply: PolicySample? = nil
            try sampler.sample(prompts: [(turn, prompt)], samples: 1, settings: settings, seed: seed) { reply = $0.first }
            turn += 1
            guard let reply else { continue }
            let shown = reply.text.replacingOccurrences(of: "\n", with: "\\n")
            try context.stdout.write(shown + (reply.stopped ? "" : " [cut at \(settings.maxNewTokens) tokens]") + "\n")
            try context.stdout.flush()
        }
    }
}

import Foundation
import RLHFCore
import RLHFModel

/// `rlhf model import DIR --out OUT`: a Hugging Face GPT-2 folder in, a checkpoint of ours out.
struct ModelImportCommand: Command {
    static let name = "model import"
    static let abstract = "Turn a Hugging Face GPT-2 folder into a checkpoint folder of ours"
    static let usage = "rlhf model import DIR --out OUT"
    static let discussion = """
    DIR holds config.json and model.safetensors as transformers' save_pretrained writes them for a GPT-2
    (GPT2LMHeadModel, GPT2Model, or GPT2ForSequenceClassification with one label): tensor names with or
    without the transformer. prefix, the attn.bias / attn.masked_bias buffers of older files (dropped),
    float32, float16 or bfloat16 weights (written as float32), n_inner set or null. Tokenizer files
    (tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe, ...) are copied along. OUT must
    not exist; it gets model.safetensors, config.json, those files and manifest.json.
    Refused, with the reason: pickle weights (pytorch_model.bin: loading a pickle runs code; the message
    says how to convert it with safetensors), other architectures, and GPT-2 options this implementation
    does not compute (scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn, activations other than
    the tanh GELU, untied output heads).
    """
    static let options: [OptionSpec] = [
        .value("--out", "OUT", "the checkpoint folder to write (required; must not exist)"),
    ]
    static let positionals: ClosedRange<Int> = 1...1

    let source: String
    let output: String

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        guard let out = arguments.string("--out") else {
            throw UsageError("rlhf model import needs --out OUT, the checkpoint folder to write")
        }
        source = context.resolve(arguments.positionals[0])
        output = context.resolve(out)
    }

    func run(_ context: CommandContext) throws {
        let summary = try HuggingFaceImport.run(from: source, to: output)
        let c = summary.config
        var line = "imported \(source) -> \(output): \(c.layers) layers, \(c.heads) heads, width \(c.channels), "
        line += "vocabulary \(c.vocabSize), context \(c.contextLength), \(summary.parameters) parameters"
        line += " (\(summary.sourceDTypes.joined(separator: "/")) -> F32)"
        line += summary.tokenizerFiles.isEmpty ? "; no tokenizer files found" : "; copied \(summary.tokenizerFiles.joined(separator: ", "))"
        try context.stdout.write(line + "\nmanifest sha256 \(summary.manifestHash)\n")
    }
}

import Foundation
import RLHFCore

/// `rlhf model import`: a GPT-2-architecture Hugging Face folder (config.json + model.safetensors)
/// turned into a checkpoint folder of ours, the layout every `--model`/`--init` flag takes. The reading
/// itself is Checkpoint.load's (tensor names with or without `transformer.`, the `attn.bias` /
/// `attn.masked_bias` buffers older files carry, float16 and bfloat16 converted to float32; config.json
/// options we do not compute refused by ConfigFile). This adds what only an import needs: refusing
/// pickle weights before anything reads them, refusing architectures other than GPT-2's, checking an
/// explicit `lm_head.weight` really is tied, and carrying the tokenizer files along.
public enum HuggingFaceImport {
    /// What the import found and wrote.
    public struct Summary: Sendable {
        public let config: GPT2Config
        public let parameters: Int
        /// Element types of the source tensors (e.g. ["F16"]), converted to float32.
        public let sourceDTypes: [String]
        public let tokenizerFiles: [String]
        public let manifestHash: String
    }

    /// Files a Hugging Face GPT-2 folder keeps beside the weights that describe its tokenizer (and how
    /// to generate); copied unchanged, so the checkpoint works with AutoTokenizer and with
    /// `rlhf sample --model OUT`.
    public static let tokenizerFileNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                            "vocab.json", "merges.txt", "encoder.json", "vocab.bpe",
                                            "added_tokens.json", "generation_config.json"]

    /// Model classes whose state dict is GPT-2's trunk, optionally with the tied LM head or a one-label
    /// `score` head (GPT2ForSequenceClassification, how we save reward models).
    static let acceptedArchitectures: Set<String> = ["GPT2LMHeadModel", "GPT2Model", "GPT2ForSequenceClassification"]

    public static func run(from directory: String, to output: String) throws(CheckpointError) -> Summary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingFile(path: directory)
        }
        if FileManager.default.fileExists(atPath: output) { throw .destinationExists(path: output) }
        let weightsPath = directory + "/" + Checkpoint.modelFileName
        if !fileExists(weightsPath) { try refuseOtherWeightFormats(directory) }
        let configPath = directory + "/" + Checkpoint.configFileName
        try checkArchitecture(configPath)

        let file = try SafetensorsFile(path: weightsPath)
        let loaded = try Checkpoint.load(from: directory)
        let model = loaded.model
        if file.header.entry("lm_head.weight") != nil { try checkTied(file, model) }
        let dtypes = Set(file.header.entries.filter { !HuggingFaceNames.isIgnorable($0.name) }.map(\.dtype.rawValue)).sorted()

        var extraFiles: [String: [UInt8]] = [:]
        for name in tokenizerFileNames where fileExists(directory + "/" + name) {
            extraFiles[name] = try readWholeFile(directory + "/" + name)
        }
        let hash = try Checkpoint.save(model: model, to: output, extraFiles: extraFiles)
        return Summary(config: model.config, parameters: model.layout.trunkCount, sourceDTypes: dtypes,
                       tokenizerFiles: extraFiles.keys.sorted(), manifestHash: hash)
    }

    /// No model.safetensors: say why whatever is there cannot be read, and how to get a safetensors file.
    private static func refuseOtherWeightFormats(_ directory: String) throws(CheckpointError) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        if let pickle = names.sorted().first(where: { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") || $0.hasSuffix(".ckpt") }) {
            throw .unsupported(path: directory + "/" + pickle, reason: """
                is a PyTorch pickle, which is refused: loading a pickle runs code from the file. Convert it to \
                safetensors once, with Python, in a folder you trust: python -c "import torch; from safetensors.torch \
                import save_file; sd = torch.load('\(pickle)', map_location='cpu', weights_only=True); \
                save_file({k: v.contiguous() for k, v in sd.items()}, 'model.safetensors', metadata={'format': 'pt'})" \
                (or GPT2LMHeadModel.from_pretrained(DIR).save_pretrained(NEW, safe_serialization=True)), then import \
                the folder holding model.safetensors and config.json
                """)
        }
        if names.contains("model.safetensors.index.json") {
            throw .unsupported(path: directory + "/model.safetensors.index.json",
                               reason: "sharded weights are not supported; GPT-2 sizes fit one model.safetensors "
                                   + "(save_pretrained(NEW, max_shard_size=\"10GB\") writes one)")
        }
        throw .missingFile(path: directory + "/" + Checkpoint.modelFileName)
    }

    /// model_type is checked by ConfigFile; `architectures` names the class the weights belong to.
    private static func checkArchitecture(_ configPath: String) throws(CheckpointError) {
        let bytes = try readWholeFile(configPath)
        guard let object = (try? JSONParser.parse(bytes))?.objectValue else {
            throw .invalidConfig(path: configPath, reason: "not a JSON object")
        }
        if let type = object["model_type"]?.stringValue, type != "gpt2" {
            throw .unsupported(path: configPath, reason: "model_type \"\(type)\" is another architecture; only GPT-2 "
                                   + "(model_type \"gpt2\") can be imported")
        }
        for value in object["architectures"]?.arrayValue ?? [] {
            guard let name = value.stringValue else { continue }
            if !acceptedArchitectures.contains(name) {
                throw .unsupported(path: configPath, reason: "architecture \(name) is not supported; importable: "
                                       + acceptedArchitectures.sorted().joined(separator: ", "))
            }
        }
        if let labels = object["num_labels"]?.intValue, labels != 1,
           (object["architectures"]?.arrayValue ?? []).contains(where: { $0.stringValue == "GPT2ForSequenceClassification" }) {
            throw .unsupported(path: configPath, reason: "num_labels \(labels): only a one-label score head (a reward or value head) is supported")
        }
    }

    /// GPT-2 ties the output head to the token embedding; a file may still store it. Refuse one that differs.
    private static func checkTied(_ file: SafetensorsFile, _ model: GPT2) throws(CheckpointError) {
        guard let wte = model.layout.tensor(.tokenEmbedding) else { return }
        let head = try file.readFloats("lm_head.weight")
        let embedding = model.view(wte)
        guard head.count == embedding.count else {
            throw .tensorMismatch(path: file.path, name: "lm_head.weight", reason: "has \(head.count) values, the token embedding \(embedding.count)")
        }
        for i in 0..<head.count where head[i] != embedding[i] {
            throw .unsupported(path: file.path, reason: "lm_head.weight differs from the token embedding (at element \(i)); "
                                   + "untied output heads are not supported")
        }
    }
}

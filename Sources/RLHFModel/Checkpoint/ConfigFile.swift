import RLHFCore

/// config.json in Hugging Face's GPT2Config form. Reading refuses the options this implementation does
/// not compute (rather than silently computing something else).
public enum ConfigFile {
    public static func read(path: String) throws(CheckpointError) -> GPT2Config {
        let bytes = try readWholeFile(path)
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            throw .invalidConfig(path: path, reason: "not valid JSON (\(error))")
        }
        guard let object = json.objectValue else { throw .invalidConfig(path: path, reason: "not a JSON object") }
        return try parse(object, path: path)
    }

    public static func parse(_ object: JSONObject, path: String) throws(CheckpointError) -> GPT2Config {
        func bad(_ reason: String) -> CheckpointError { .invalidConfig(path: path, reason: reason) }
        func int(_ key: String, fallback: String? = nil) throws(CheckpointError) -> Int {
            if let v = object[key], !v.isNull {
                guard let i = v.intValue else { throw bad("\(key) must be an integer") }
                return i
            }
            if let fallback, let v = object[fallback]?.intValue { return v }
            throw bad("missing \(key)")
        }
        func flag(_ key: String, _ fallback: Bool) throws(CheckpointError) -> Bool {
            guard let v = object[key], !v.isNull else { return fallback }
            guard let b = v.boolValue else { throw bad("\(key) must be true or false") }
            return b
        }
        if let type = object["model_type"]?.stringValue, type != "gpt2" {
            throw .unsupported(path: path, reason: "model_type \"\(type)\" is not a GPT-2; only GPT-2 models are supported")
        }
        let activation = object["activation_function"]?.stringValue ?? "gelu_new"
        guard ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"].contains(activation) else {
            throw .unsupported(path: path, reason: "activation_function \"\(activation)\" is not supported (only the tanh GELU, gelu_new)")
        }
        if try !flag("scale_attn_weights", true) {
            throw .unsupported(path: path, reason: "scale_attn_weights false is not supported")
        }
        if try flag("scale_attn_by_inverse_layer_idx", false) {
            throw .unsupported(path: path, reason: "scale_attn_by_inverse_layer_idx is not supported")
        }
        if try flag("reorder_and_upcast_attn", false) {
            throw .unsupported(path: path, reason: "reorder_and_upcast_attn is not supported")
        }
        if try !flag("tie_word_embeddings", true) {
            throw .unsupported(path: path, reason: "untied output heads (tie_word_embeddings false) are not supported")
        }
        var epsilon: Float = 1e-5
        if let v = object["layer_norm_epsilon"], !v.isNull {
            guard let d = v.doubleValue else { throw bad("layer_norm_epsilon must be a number") }
            epsilon = Float(d)
        }
        var inner: Int? = nil
        if let v = object["n_inner"], !v.isNull {
            guard let i = v.intValue else { throw bad("n_inner must be an integer or null") }
            inner = i
        }
        let config = GPT2Config(
            vocabSize: try int("vocab_size"), contextLength: try int("n_positions", fallback: "n_ctx"),
            layers: try int("n_layer"), heads: try int("n_head"), channels: try int("n_embd"), innerSize: inner,
            layerNormEpsilon: epsilon, bosTokenId: object["bos_token_id"]?.intValue,
            eosTokenId: object["eos_token_id"]?.intValue)
        do { try config.validate() } catch { throw bad(error.description) }
        return config
    }

    /// GPT2Config's keys as `save_pretrained` writes them (sorted), for our model.
    public static func json(_ config: GPT2Config, scalarHead: Bool) -> String {
        var pairs: [(String, JSONValue)] = [
            ("activation_function", .string("gelu_new")),
            ("architectures", .array([.string(scalarHead ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel")])),
            ("attn_pdrop", .number("0.0")),
            ("bos_token_id", config.bosTokenId.map { .int($0) } ?? .null),
            ("dtype", .string("float32")),
            ("embd_pdrop", .number("0.0")),
            ("eos_token_id", config.eosTokenId.map { .int($0) } ?? .null),
            ("initializer_range", .number("0.02")),
            ("layer_norm_epsilon", .number("\(config.layerNormEpsilon)")),
            ("model_type", .string("gpt2")),
            ("n_embd", .int(config.channels)),
            ("n_head", .int(config.heads)),
            ("n_inner", config.innerSize == 4 * config.channels ? .null : .int(config.innerSize)),
            ("n_layer", .int(config.layers)),
            ("n_positions", .int(config.contextLength)),
            ("pad_token_id", .null),
            ("reorder_and_upcast_attn", .bool(false)),
            ("resid_pdrop", .number("0.0")),
            ("scale_attn_by_inverse_layer_idx", .bool(false)),
            ("scale_attn_weights", .bool(true)),
            ("tie_word_embeddings", .bool(true)),
            ("use_cache", .bool(true)),
            ("vocab_size", .int(config.vocabSize)),
        ]
        if scalarHead { pairs.append(("num_labels", .int(1))) }
        pairs.sort { $0.0 < $1.0 }
        return pretty(.object(JSONObject(pairs))) + "\n"
    }

    /// Two-space indentation like Python's json.dumps(indent=2), one key per line.
    static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .object(let object):
            if object.count == 0 { return "{}" }
            let lines = object.map { inner + JSONWriter.encode(.string($0.key)) + ": " + pretty($0.value, indent: inner) }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        default:
            return JSONWriter.encode(value)
        }
    }
}


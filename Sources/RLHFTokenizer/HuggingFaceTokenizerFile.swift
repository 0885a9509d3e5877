import RLHFCore

/// Hugging Face `tokenizer.json` of the GPT-2 kind: a BPE model with a ByteLevel pre-tokenizer (no prefix
/// space, GPT-2's regex), no normalizer, and added tokens matched whole. Anything else that would change
/// how text is encoded is refused by name rather than silently encoded differently.
enum HuggingFaceTokenizerFile {
    static func load(path: String) throws(TokenizerError) -> BPEVocabulary {
        guard let root = try TokenizerFiles.parseJSON(path).objectValue else {
            throw .malformed(path: path, what: "expected a JSON object at the top")
        }
        try checkPipeline(root, path: path)
        guard let model = root["model"]?.objectValue else {
            throw .malformed(path: path, what: "\"model\" is missing or not an object")
        }
        try checkModel(model, path: path)
        guard let vocab = model["vocab"]?.objectValue else {
            throw .malformed(path: path, what: "\"model.vocab\" is missing or not an object of token -> id")
        }
        guard let mergeValues = model["merges"]?.arrayValue else {
            throw .malformed(path: path, what: "\"model.merges\" is missing or not an array")
        }
        let added = try addedTokens(root, path: path)

        var count = vocab.count
        for token in added { count = max(count, token.id + 1) }
        let addedByID = Dictionary(added.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var tokens = [[UInt8]?](repeating: nil, count: count)
        var idBySpelling: [String: Int] = [:]
        idBySpelling.reserveCapacity(vocab.count)
        for (spelling, value) in vocab {
            guard let id = value.intValue, id >= 0 else {
                throw .malformed(path: path, what: "model.vocab: token \"\(spelling)\" has id \(JSONWriter.encode(value)), not a non-negative integer")
            }
            guard id < count else {
                throw .malformed(path: path, what: "model.vocab: token \"\(spelling)\" has id \(id), but there are only \(count) tokens")
            }
            guard tokens[id] == nil else {
                throw .malformed(path: path, what: "model.vocab: id \(id) is given to two tokens (the second is \"\(spelling)\")")
            }
            if let token = addedByID[id] {
                guard token.content == spelling else {
                    throw .malformed(path: path, what: "added token \(id) is \"\(token.content)\" but model.vocab gives id \(id) to \"\(spelling)\"")
                }
                tokens[id] = Array(spelling.utf8)
            } else {
                guard let bytes = ByteLevel.bytes(ofSpelling: spelling) else {
                    throw .malformed(path: path, what: "model.vocab: token \(id) \"\(spelling)\" has a character outside the ByteLevel alphabet")
                }
                tokens[id] = bytes
            }
            idBySpelling[spelling] = id
        }
        for token in added {
            if let id = idBySpelling[token.content], id != token.id {
                throw .malformed(path: path, what: "added token \"\(token.content)\" has id \(token.id) but model.vocab gives it \(id)")
            }
            tokens[token.id] = Array(token.content.utf8)
        }
        if let missing = tokens.firstIndex(where: { $0 == nil }) {
            throw .malformed(path: path, what: "no token has id \(missing) (ids must run 0...\(count - 1) without gaps)")
        }

        var merges: [(Int, Int)] = []
        merges.reserveCapacity(mergeValues.count)
        for (index, value) in mergeValues.enumerated() {
            let parts: [String]
            if let text = value.stringValue {
                // The older format: "left right" in one string.
                parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let array = value.arrayValue, array.allSatisfy({ $0.stringValue != nil }) {
                parts = array.compactMap(\.stringValue)
            } else {
                parts = []
            }
            guard parts.count == 2 else {
                throw .malformed(path: path, what: "model.merges[\(index)] is \(JSONWriter.encode(value)); expected [\"left\", \"right\"] or \"left right\"")
            }
            guard let left = idBySpelling[parts[0]], let right = idBySpelling[parts[1]] else {
                let missing = idBySpelling[parts[0]] == nil ? parts[0] : parts[1]
                throw .malformed(path: path, what: "model.merges[\(index)]: \"\(missing)\" is not in model.vocab")
            }
            merges.append((left, right))
        }
        do {
            return try BPEVocabulary(tokens: tokens.map { $0 ?? [] }, merges: merges, addedTokens: added)
        } catch {
            throw .malformed(path: path, what: error.description)
        }
    }

    /// The parts around the model must not change the text or the pieces.
    private static func checkPipeline(_ root: JSONObject, path: String) throws(TokenizerError) {
        if let normalizer = root["normalizer"], !normalizer.isNull {
            throw .unsupported(path: path, what: "it has a normalizer (\(typeName(normalizer))); GPT-2 has none")
        }
        guard let pre = root["pre_tokenizer"]?.objectValue else {
            throw .unsupported(path: path, what: "\"pre_tokenizer\" must be {\"type\": \"ByteLevel\", ...}")
        }
        guard pre["type"]?.stringValue == "ByteLevel" else {
            throw .unsupported(path: path, what: "pre_tokenizer is \(typeName(.object(pre))), not ByteLevel")
        }
        if pre["add_prefix_space"]?.boolValue == true {
            throw .unsupported(path: path, what: "pre_tokenizer.add_prefix_space is true; GPT-2 adds no prefix space")
        }
        if pre["use_regex"]?.boolValue == false {
            throw .unsupported(path: path, what: "pre_tokenizer.use_regex is false; GPT-2 splits with its regex")
        }
        if let decoder = root["decoder"], !decoder.isNull, decoder.objectValue?["type"]?.stringValue != "ByteLevel" {
            throw .unsupported(path: path, what: "decoder is \(typeName(decoder)), not ByteLevel")
        }
        if let post = root["post_processor"], !post.isNull, post.objectValue?["type"]?.stringValue != "ByteLevel" {
            throw .unsupported(path: path, what: "post_processor is \(typeName(post)); it would add tokens we do not add")
        }
    }

    private static func checkModel(_ model: JSONObject, path: String) throws(TokenizerError) {
        if let type = model["type"], type.stringValue != "BPE" {
            throw .unsupported(path: path, what: "model.type is \(JSONWriter.encode(type)), not \"BPE\"")
        }
        if let dropout = model["dropout"], !dropout.isNull, dropout.doubleValue != 0 {
            throw .unsupported(path: path, what: "model.dropout is \(JSONWriter.encode(dropout)); BPE dropout makes encoding random")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key], !value.isNull, value.stringValue != "" {
                throw .unsupported(path: path, what: "model.\(key) is \(JSONWriter.encode(value)); byte-level BPE has none")
            }
        }
        if model["byte_fallback"]?.boolValue == true {
            throw .unsupported(path: path, what: "model.byte_fallback is true (a SentencePiece-style model)")
        }
        if model["ignore_merges"]?.boolValue == true {
            throw .unsupported(path: path, what: "model.ignore_merges is true; GPT-2 applies merges to every word")
        }
    }

    private static func addedTokens(_ root: JSONObject, path: String) throws(TokenizerError) -> [AddedToken] {
        guard let list = root["added_tokens"] else { return [] }
        guard let array = list.arrayValue else {
            throw .malformed(path: path, what: "\"added_tokens\" is not an array")
        }
        var tokens: [AddedToken] = []
        for (index, value) in array.enumerated() {
            guard let object = value.objectValue, let id = object["id"]?.intValue, id >= 0,
                  let content = object["content"]?.stringValue, !content.isEmpty else {
                throw .malformed(path: path, what: "added_tokens[\(index)] needs a non-negative \"id\" and a non-empty \"content\"")
            }
            for flag in ["lstrip", "rstrip", "single_word"] where object[flag]?.boolValue == true {
                throw .unsupported(path: path, what: "added token \"\(content)\" has \(flag) true")
            }
            tokens.append(AddedToken(id: id, content: content, special: object["special"]?.boolValue ?? false))
        }
        return tokens
    }

    private static func typeName(_ value: JSONValue) -> String {
        if let type = value.objectValue?["type"]?.stringValue { return "\"\(type)\"" }
        return JSONWriter.encode(value)
    }
}

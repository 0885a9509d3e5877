import RLHFCore

/// Writing `tokenizer.json` and `tokenizer_config.json` in the layout `tokenizers` 0.20+ writes for GPT-2
/// (merges as two-element arrays), one vocabulary entry or merge per line so the files diff well.
extension HuggingFaceTokenizerFile {
    static func encode(_ vocabulary: BPEVocabulary) -> [UInt8] {
        var w = JSONWriter(capacity: 64 * vocabulary.count)
        w.raw("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
        for (i, token) in vocabulary.addedTokens.enumerated() {
            w.raw(i == 0 ? "\n    " : ",\n    ")
            addedTokenObject(&w, token, withID: true)
        }
        w.raw(vocabulary.addedTokens.isEmpty ? "],\n" : "\n  ],\n")
        w.raw("""
              "normalizer": null,
              "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
              "post_processor": null,
              "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
              "model": {
                "type": "BPE",
                "dropout": null,
                "unk_token": null,
                "continuing_subword_prefix": null,
                "end_of_word_suffix": null,
                "fuse_unk": false,
                "byte_fallback": false,
                "ignore_merges": false,
                "vocab": {
            """)
        // Added tokens go in the vocabulary too (as GPT-2's does), unless their text is also the
        // spelling of a byte-level token, which would make the JSON key ambiguous.
        var spellings = Set<String>()
        for id in 0..<vocabulary.count where !vocabulary.isAddedToken(id) {
            if let s = vocabulary.spelling(of: id) { spellings.insert(s) }
        }
        var first = true
        for id in 0..<vocabulary.count {
            guard let spelling = vocabulary.spelling(of: id) else { continue }
            if vocabulary.isAddedToken(id) && spellings.contains(spelling) { continue }
            w.raw(first ? "\n      " : ",\n      ")
            first = false
            w.string(spelling)
            w.raw(": ")
            w.int(id)
        }
        w.raw("\n    },\n    \"merges\": [")
        for (i, merge) in vocabulary.merges.enumerated() {
            w.raw(i == 0 ? "\n      [" : ",\n      [")
            w.string(vocabulary.spelling(of: merge.left) ?? "")
            w.raw(", ")
            w.string(vocabulary.spelling(of: merge.right) ?? "")
            w.raw("]")
        }
        w.raw(vocabulary.mergeCount == 0 ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n")
        return w.bytes
    }

    /// `tokenizer_config.json` for `transformers.AutoTokenizer`: the class and the eos/bos/unk/pad tokens
    /// (all `<|endoftext|>` for GPT-2, which has no separate padding token).
    static func encodeConfig(_ vocabulary: BPEVocabulary, modelMaxLength: Int?) -> [UInt8] {
        let main = vocabulary.addedTokens.first(where: { $0.content == TokenizerFiles.endOfText })
            ?? vocabulary.addedTokens.first(where: \.special)
        var w = JSONWriter(capacity: 1024)
        w.raw("{\n  \"add_bos_token\": false,\n  \"add_prefix_space\": false,\n  \"added_tokens_decoder\": {")
        for (i, token) in vocabulary.addedTokens.enumerated() {
            w.raw(i == 0 ? "\n    " : ",\n    ")
            w.string(String(token.id))
            w.raw(": ")
            addedTokenObject(&w, token, withID: false)
        }
        w.raw(vocabulary.addedTokens.isEmpty ? "},\n" : "\n  },\n")
        for key in ["bos_token", "eos_token", "pad_token", "unk_token"] {
            w.raw("  ")
            w.string(key)
            w.raw(": ")
            if let main { w.string(main.content) } else { w.null() }
            w.raw(",\n")
        }
        w.raw("  \"clean_up_tokenization_spaces\": false,\n")
        if let modelMaxLength {
            w.raw("  \"model_max_length\": ")
            w.int(modelMaxLength)
            w.raw(",\n")
        }
        w.raw("  \"tokenizer_class\": \"GPT2TokenizerFast\"\n}\n")
        return w.bytes
    }

    private static func addedTokenObject(_ w: inout JSONWriter, _ token: AddedToken, withID: Bool) {
        w.raw("{")
        if withID {
            w.raw("\"id\": ")
            w.int(token.id)
            w.raw(", ")
        }
        w.raw("\"content\": ")
        w.string(token.content)
        w.raw(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": ")
        w.bool(token.special)
        w.raw("}")
    }
}

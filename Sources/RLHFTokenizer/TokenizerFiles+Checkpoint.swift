extension TokenizerFiles {
    /// `tokenizer.json` and `tokenizer_config.json` as bytes, by file name: what a trainer copies into
    /// each checkpoint so the folder is a complete Hugging Face model (`AutoTokenizer.from_pretrained`).
    public static func files(_ vocabulary: BPEVocabulary, modelMaxLength: Int? = nil) -> [String: [UInt8]] {
        ["tokenizer.json": HuggingFaceTokenizerFile.encode(vocabulary),
         "tokenizer_config.json": HuggingFaceTokenizerFile.encodeConfig(vocabulary, modelMaxLength: modelMaxLength)]
    }
}

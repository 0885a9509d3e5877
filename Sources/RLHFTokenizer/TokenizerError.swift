/// Everything that can go wrong loading, using, saving or training a tokenizer. Each message names the
/// file and the part of it that is wrong, so the user can fix it without reading our code.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A folder has none of the file sets we can load.
    case noTokenizerFiles(directory: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// A tokenizer file is not what it claims to be; `what` says where and why.
    case malformed(path: String, what: String)
    /// A valid Hugging Face file that uses something this tokenizer does not implement.
    case unsupported(path: String, what: String)
    /// A vocabulary built in memory is inconsistent (the same checks the loaders make).
    case invalidVocabulary(String)
    /// Text given as bytes is not valid UTF-8; `offset` is the first bad byte.
    case invalidUTF8(source: String, offset: Int)
    /// An id outside the vocabulary.
    case unknownTokenID(Int, vocabularySize: Int)
    /// Decoded ids whose bytes are not valid UTF-8 (the ids split a character).
    case decodedInvalidUTF8(offset: Int)
    /// Training settings that cannot work.
    case invalidTrainingSettings(String)

    public var description: String {
        switch self {
        case .noTokenizerFiles(let directory):
            return "\(directory) holds no tokenizer: expected tokenizer.json, or encoder.json (or vocab.json) "
                + "with vocab.bpe (or merges.txt)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .malformed(let path, let what):
            return "\(path) is malformed: \(what)"
        case .unsupported(let path, let what):
            return "\(path) is not a GPT-2 style byte-level BPE tokenizer: \(what)"
        case .invalidVocabulary(let what):
            return "invalid vocabulary: \(what)"
        case .invalidUTF8(let source, let offset):
            return "\(source) is not valid UTF-8 (first bad byte at offset \(offset)); tokenize text, not binary data"
        case .unknownTokenID(let id, let size):
            return "token id \(id) is not in the vocabulary (ids are 0...\(size - 1))"
        case .decodedInvalidUTF8(let offset):
            return "the ids decode to bytes that are not valid UTF-8 (at byte \(offset)): they split a character; "
                + "decode whole sequences (decodeLossy shows a broken character as U+FFFD)"
        case .invalidTrainingSettings(let what):
            return what
        }
    }
}

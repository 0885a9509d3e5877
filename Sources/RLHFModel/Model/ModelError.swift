/// What can go wrong with a model, its inputs or its files; every message says what to do.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case invalidBatch(String)
    case tokenOutOfRange(id: Int, position: Int, vocabSize: Int)
    case sequenceTooLong(length: Int, contextLength: Int)
    case missingHead(String)

    public var description: String {
        switch self {
        case .invalidConfig(let why):
            return "invalid model config: \(why)"
        case .invalidBatch(let why):
            return "invalid batch: \(why)"
        case .tokenOutOfRange(let id, let position, let vocabSize):
            return "token id \(id) at position \(position) is outside the vocabulary (0..<\(vocabSize)); "
                + "check that the tokenizer matches the model"
        case .sequenceTooLong(let length, let contextLength):
            return "sequence of \(length) tokens is longer than the model's context of \(contextLength); "
                + "cut it to at most \(contextLength) tokens"
        case .missingHead(let why):
            return why
        }
    }
}

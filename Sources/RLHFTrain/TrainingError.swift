import RLHFModel

/// Why training could not start or had to stop; each message says what to do.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case invalidHyperparameter(String, String)
    case unknownHyperparameter(key: String, source: String, suggestion: String?)
    case malformedHyperparameters(source: String, reason: String)
    /// Every example was left out (or there were none).
    case noTrainingExamples(leftOut: Int, maxLength: Int)
    /// The loss (or the gradient norm) became NaN or infinite at this step; no update was taken.
    case nonFinite(what: String, step: Int, value: Float)
    case resumeMismatch(String)
    case model(String)

    public var description: String {
        switch self {
        case .invalidHyperparameter(let key, let why):
            return "hyperparameter \(key) \(why)"
        case .unknownHyperparameter(let key, let source, let suggestion):
            return "\(source): unknown hyperparameter \"\(key)\"" + (suggestion.map { "; did you mean \"\($0)\"?" } ?? "")
        case .malformedHyperparameters(let source, let reason):
            return "\(source): \(reason)"
        case .noTrainingExamples(let leftOut, let maxLength):
            if leftOut == 0 { return "there are no training examples" }
            return "all \(leftOut) training examples were left out: their completions are longer than max_length \(maxLength) tokens; raise max_length (up to the model's context length)"
        case .nonFinite(let what, let step, let value):
            return "stopped at step \(step): the \(what) became \(value) (lower learning_rate, or check the data); no update was taken at that step"
        case .resumeMismatch(let reason):
            return "cannot resume: \(reason)"
        case .model(let message):
            return message
        }
    }
}

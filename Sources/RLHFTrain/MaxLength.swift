/// `max_length`, shared by every trainer's configuration: the model's context when unset, and a clear
/// error when longer than the model takes.
enum MaxLength {
    static func sequenceLength(_ maxLength: Int?, key: String, contextLength: Int) throws(TrainingError) -> Int {
        guard let maxLength else { return contextLength }
        guard maxLength <= contextLength else {
            throw .invalidHyperparameter(key, "is \(maxLength), longer than the model's context length (n_positions \(contextLength))")
        }
        return maxLength
    }
}

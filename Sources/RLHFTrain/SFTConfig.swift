import Foundation
import RLHFCore

/// SFT's configuration, as TRL's `SFTConfig`: the shared `TrainingArguments` plus the sequence length.
/// `rlhf pretrain` uses it too: pretraining is TRL's SFTTrainer on plain text with packing (documents
/// joined by end-of-text and cut into `maxLength` pieces), every target counted; `rlhf sft` serialises
/// prompt/completion pairs and counts only the completion's targets (TRL's `completion_only_loss`).
/// Saved as flat JSON with TRL's keys, in the run's config and in every checkpoint.
public struct SFTConfig: Codable, Equatable, Sendable {
    public var training: TrainingArguments
    /// Longest sequence in tokens: in SFT, longer prompts are cut from the left and examples whose
    /// completion alone does not fit are left out (counted); in pretraining, the length of each packed
    /// piece. nil: the model's context length (`n_positions`), as TRL's 1024 is GPT-2's.
    public var maxLength: Int? = nil

    public init(training: TrainingArguments = TrainingArguments(), maxLength: Int? = nil) {
        self.training = training
        self.maxLength = maxLength
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxLength = "max_length"
    }

    public init(from decoder: Decoder) throws {
        training = try TrainingArguments(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
    }

    public func encode(to encoder: Encoder) throws {
        try training.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(maxLength, forKey: .maxLength)
    }

    /// Every key a hyperparameter file may hold.
    public static let keys: [String] = TrainingArguments.CodingKeys.allCases.map(\.rawValue) + CodingKeys.allCases.map(\.rawValue)

    public func validate() throws(TrainingError) {
        try training.validate()
        if let maxLength, maxLength < 2 {
            throw .invalidHyperparameter(CodingKeys.maxLength.rawValue, "must be at least 2 (one context token and one target)")
        }
    }

    /// The sequence length for a model of `contextLength`; refuses one longer than the model takes.
    public func sequenceLength(contextLength: Int) throws(TrainingError) -> Int {
        try MaxLength.sequenceLength(maxLength, key: CodingKeys.maxLength.rawValue, contextLength: contextLength)
    }

    /// Reads a hyperparameter file over the defaults: only the keys it holds change.
    public static func decode(_ bytes: [UInt8], source: String) throws(TrainingError) -> SFTConfig {
        try HyperparameterFile.decode(SFTConfig.self, bytes: bytes, keys: keys, source: source)
    }

    /// The configuration as one line of JSON (sorted keys), for the store's run record.
    public func jsonText() -> String { HyperparameterFile.encode(self) }
}

/// Hyperparameter files: strict JSON (a duplicate key is an error, not "the last one wins"), one object,
/// only known keys (a typo such as `learning_rat` is reported with the closest key, not ignored).
public enum HyperparameterFile {
    public static func decode<Config: Decodable>(_ type: Config.Type, bytes: [UInt8], keys: [String],
                                                 source: String) throws(TrainingError) -> Config {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            throw .malformedHyperparameters(source: source, reason: "not valid JSON (\(error))")
        }
        guard let object = json.objectValue else {
            throw .malformedHyperparameters(source: source, reason: "expected one JSON object of hyperparameters, got a \(json.typeName)")
        }
        for key in object.keys where !keys.contains(key) {
            throw .unknownHyperparameter(key: key, source: source, suggestion: closest(key, keys))
        }
        do { return try JSONDecoder().decode(Config.self, from: Data(bytes)) } catch let DecodingError.typeMismatch(_, context),
            let DecodingError.valueNotFound(_, context), let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.last?.stringValue ?? "?"
            throw .malformedHyperparameters(source: source, reason: "\(key) has the wrong type (\(context.debugDescription))")
        } catch {
            throw .malformedHyperparameters(source: source, reason: "\(error)")
        }
    }

    public static func encode<Config: Encodable>(_ config: Config) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(config) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The known key nearest to a typo, by edit distance, when it is close.
    static func closest(_ word: String, _ candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
            var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
            for i in 1...a.count {
                current[0] = i
                for j in 1...b.count {
                    current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                swap(&previous, &current)
            }
            return previous[b.count]
        }
        let scored = candidates.map { ($0, distance(Array(word), Array($0))) }.filter { $0.1 <= max(2, $0.0.count / 3) }
        return scored.min { $0.1 < $1.1 }?.0
    }
}

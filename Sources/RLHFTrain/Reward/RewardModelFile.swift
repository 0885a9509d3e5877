import Foundation
import RLHFCore
import RLHFModel

/// `reward_model.json` in a reward model's folder: how to read it (where the reward is taken, the
/// tie parameter), what was folded into its weights, and its normalisation with the samples it was
/// measured on (`normalization_samples.json`), so the normalisation is checked after every reload
/// instead of trusted (OpenRLHF's silently became a no-op when its stored mean and std were lost).
public enum RewardModelFile {
    public static let fileName = "reward_model.json"
    public static let samplesFileName = "normalization_samples.json"

    public struct Contents: Sendable, Equatable {
        public var endOfText: Int
        public var maxLength: Int
        public var ties: RewardObjective.Ties
        public var logTieParameter: Double?
        public var step: Int
        public var validationLoss: Double?
        /// The head bias moved into transformer.ln_f.bias (`RewardHead.foldBiasIntoFinalLayerNorm`).
        public var foldedBias: Double
        public var normalization: RewardNormalization?
        public var policy: String?
    }

    public static func files(_ c: Contents) -> [String: [UInt8]] {
        var normalization: JSONValue = .null
        var files: [String: [UInt8]] = [:]
        if let n = c.normalization {
            normalization = .object(JSONObject([
                ("samples", .int(n.samples)), ("seed", .string(String(n.seed))), ("temperature", .double(Double(n.temperature))),
                ("max_new_tokens", .int(n.maxNewTokens)), ("policy", c.policy.map { .string($0) } ?? .null),
                ("raw_mean", .double(n.rawMean)), ("raw_std", .double(n.rawStandardDeviation)),
                ("gain", .double(n.gain)), ("bias", .double(n.bias)), ("mean", .double(n.mean)), ("std", .double(n.standardDeviation)),
                ("samples_file", .string(samplesFileName)),
            ]))
            let samples = JSONObject([("format", .string("rlhf-normalization-samples")), ("version", .int(1)),
                                      ("sequences", .array(n.sequences.map { .array($0.map { .int($0) }) }))])
            files[samplesFileName] = Array((JSONWriter.encode(.object(samples)) + "\n").utf8)
        }
        let object = JSONObject([
            ("format", .string("rlhf-reward-model")), ("version", .int(1)),
            ("read_position", .string("the end-of-text token the serialiser appends after the completion (its end index)")),
            ("end_of_text_id", .int(c.endOfText)), ("max_length", .int(c.maxLength)),
            ("ties", .string(c.ties.rawValue)), ("log_tie_parameter", c.logTieParameter.map { .double($0) } ?? .null),
            ("step", .int(c.step)), ("validation_loss", c.validationLoss.map { .double($0) } ?? .null),
            ("head_bias_folded_into_ln_f", .double(c.foldedBias)),
            ("normalization", normalization),
        ])
        files[fileName] = Array((JSONWriter.encode(.object(object)) + "\n").utf8)
        return files
    }

    /// The normalisation as measured on a model loaded from `directory`: the mean and standard
    /// deviation of its rewards on the saved samples, and what the file says they should be; nil when
    /// the folder has no normalisation.
    public static func measureNormalization(directory: String, model: GPT2, batchSize: Int = 16) throws
        -> (mean: Double, standardDeviation: Double, samples: Int)? {
        let path = directory + "/" + samplesFileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let object = try? JSONParser.parse([UInt8](data)).objectValue,
              object["format"]?.stringValue == "rlhf-normalization-samples",
              let list = object["sequences"]?.arrayValue else {
            throw TrainingError.model("\(path): not an rlhf normalization-samples file")
        }
        var sequences: [[Int]] = []
        for item in list {
            guard let ids = item.arrayValue?.compactMap(\.intValue), !ids.isEmpty, ids.count == item.arrayValue?.count else {
                throw TrainingError.model("\(path): a sample is not a non-empty list of token ids")
            }
            sequences.append(ids)
        }
        let (mean, sd) = RewardHead.moments(try RewardNormalization.score(model, sequences, batchSize: batchSize))
        return (mean, sd, sequences.count)
    }
}

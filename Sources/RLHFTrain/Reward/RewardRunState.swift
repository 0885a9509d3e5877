import Foundation
import RLHFCore

/// What a reward-model run carries between steps besides the weights and AdamW's moments: Davidson's
/// tie parameter and early stopping's memory (the best validation loss so far, the folder its weights
/// were saved to, evaluations since). Written as `reward_state.json` into every checkpoint the loop
/// saves, so `--resume` continues exactly.
public struct RewardRunState: Equatable, Sendable {
    public static let fileName = "reward_state.json"

    public var logTieParameter: Double = 0
    public var bestStep: Int? = nil
    public var bestLoss: Double? = nil
    public var bestDirectory: String? = nil
    public var bestLogTieParameter: Double? = nil
    public var evaluationsWithoutImprovement = 0

    public init() {}

    public func json() -> [UInt8] {
        let object = JSONObject([
            ("format", .string("rlhf-reward-state")), ("version", .int(1)),
            // Bit-exact through text: the IEEE pattern, not a rounded decimal.
            ("log_tie_parameter_bits", .string(String(logTieParameter.bitPattern))),
            ("log_tie_parameter", .double(logTieParameter)),
            ("best_step", bestStep.map { .int($0) } ?? .null),
            ("best_loss_bits", bestLoss.map { .string(String($0.bitPattern)) } ?? .null),
            ("best_directory", bestDirectory.map { .string($0) } ?? .null),
            ("best_log_tie_parameter_bits", bestLogTieParameter.map { .string(String($0.bitPattern)) } ?? .null),
            ("evaluations_without_improvement", .int(evaluationsWithoutImprovement)),
        ])
        return Array((JSONWriter.encode(.object(object)) + "\n").utf8)
    }

    public static func load(directory: String) throws(TrainingError) -> RewardRunState {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .resumeMismatch("\(path) is missing: a reward-model checkpoint keeps its tie parameter and early-stopping state there")
        }
        guard let object = try? JSONParser.parse([UInt8](data)).objectValue, object["format"]?.stringValue == "rlhf-reward-state",
              let thetaText = object["log_tie_parameter_bits"]?.stringValue, let thetaBits = UInt64(thetaText),
              let count = object["evaluations_without_improvement"]?.intValue else {
            throw .resumeMismatch("\(path) is not an rlhf reward state of version 1")
        }
        var state = RewardRunState()
        state.logTieParameter = Double(bitPattern: thetaBits)
        state.bestStep = object["best_step"]?.intValue
        state.bestLoss = object["best_loss_bits"]?.stringValue.flatMap(UInt64.init).map(Double.init(bitPattern:))
        state.bestDirectory = object["best_directory"]?.stringValue
        state.bestLogTieParameter = object["best_log_tie_parameter_bits"]?.stringValue.flatMap(UInt64.init).map(Double.init(bitPattern:))
        state.evaluationsWithoutImprovement = count
        return state
    }
}

/// What the reward trainer tells the command besides what every trainer does.
public protocol RewardTrainingObserver: TrainingObserver {
    func rewardEvaluated(step: Int, set: String, report: RewardReport)
    func note(_ message: String)
}

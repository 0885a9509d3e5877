import Foundation
import RLHFCore

/// What a trainer needs beyond the weights to resume exactly: its step, where it is in the data, its
/// random generator, and its own fields (`metadata`: the example list's hash, the epoch, ...).
/// The optimizer's moments are saved beside it.
public struct TrainerState: Equatable, Sendable {
    public var step: Int
    public var dataPosition: Int
    public var random: SeededRandom
    public var metadata: JSONObject

    public init(step: Int, dataPosition: Int, random: SeededRandom, metadata: JSONObject = JSONObject()) {
        self.step = step
        self.dataPosition = dataPosition
        self.random = random
        self.metadata = metadata
    }

    static let fileName = "trainer_state.json"
    static let momentsFileName = "trainer_state.safetensors"

    func json(optimizer: AdamW) -> [UInt8] {
        let c = optimizer.config
        let optimizerObject = JSONObject([
            ("name", .string("adamw")), ("step", .int(optimizer.step)),
            ("beta1", .number("\(c.beta1)")), ("beta2", .number("\(c.beta2)")), ("epsilon", .number("\(c.epsilon)")),
            ("weight_decay", .number("\(c.weightDecay)")), ("decay_all_tensors", .bool(c.decayAllTensors)),
        ])
        let object = JSONObject([
            ("format", .string("rlhf-trainer-state")), ("version", .int(1)),
            ("step", .int(step)), ("data_position", .int(dataPosition)),
            // Decimal strings: 64-bit words do not survive JSON readers that go through doubles.
            ("rng_state", .array(random.state.map { .string(String($0)) })),
            ("optimizer", .object(optimizerObject)),
            ("metadata", .object(metadata)),
        ])
        return Array((ConfigFile.pretty(.object(object)) + "\n").utf8)
    }

    static func parse(_ bytes: [UInt8], path: String) throws(CheckpointError)
        -> (state: TrainerState, optimizerConfig: AdamWConfig, optimizerStep: Int) {
        func bad(_ reason: String) -> CheckpointError { .invalidTrainerState(path: path, reason: reason) }
        guard let json = try? JSONParser.parse(bytes), let object = json.objectValue else { throw bad("not a JSON object") }
        guard object["format"]?.stringValue == "rlhf-trainer-state", object["version"]?.intValue == 1 else {
            throw bad("not an rlhf trainer state of version 1")
        }
        guard let step = object["step"]?.intValue, let position = object["data_position"]?.intValue else {
            throw bad("step or data_position missing")
        }
        guard let words = object["rng_state"]?.arrayValue, words.count == 4 else { throw bad("rng_state must hold 4 words") }
        var state: [UInt64] = []
        for word in words {
            guard let text = word.stringValue, let value = UInt64(text) else { throw bad("rng_state holds a bad word") }
            state.append(value)
        }
        guard let random = SeededRandom.restoring(state) else { throw bad("rng_state cannot be restored") }
        guard let o = object["optimizer"]?.objectValue, o["name"]?.stringValue == "adamw",
              let optimizerStep = o["step"]?.intValue,
              let beta1 = o["beta1"]?.doubleValue, let beta2 = o["beta2"]?.doubleValue,
              let epsilon = o["epsilon"]?.doubleValue, let decay = o["weight_decay"]?.doubleValue,
              let decayAll = o["decay_all_tensors"]?.boolValue else {
            throw bad("optimizer settings missing or malformed")
        }
        let config = AdamWConfig(beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon),
                                 weightDecay: Float(decay), decayAllTensors: decayAll)
        let metadata = object["metadata"]?.objectValue ?? JSONObject()
        return (TrainerState(step: step, dataPosition: position, random: random, metadata: metadata), config, optimizerStep)
    }
}

extension SeededRandom {
    /// The generator whose `state` is `words` (through its Codable form, the one public door to it).
    static func restoring(_ words: [UInt64]) -> SeededRandom? {
        let json = "{\"state\":[" + words.map(String.init).joined(separator: ",") + "]}"
        guard let random = try? JSONDecoder().decode(SeededRandom.self, from: Data(json.utf8)), random.state == words else {
            return nil
        }
        return random
    }
}

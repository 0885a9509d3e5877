import Testing
@testable import RLHFTrain

/// `max_length` in the SFT and reward-model configurations: the context when unset, the value when it
/// fits, and an error naming the key when the model cannot take it.
@Suite struct MaxLengthTests {
    @Test func sftAndRewardConfigsResolveMaxLengthAlike() throws {
        let unset = try SFTConfig.decode(Array("{}".utf8), source: "h.json")
        #expect(try unset.sequenceLength(contextLength: 128) == 128)
        for json in [#"{"max_length": 64}"#, #"{"max_length": 200}"#] {
            let sft = try SFTConfig.decode(Array(json.utf8), source: "h.json")
            let reward = try RewardConfig.decode(Array(json.utf8), source: "h.json")
            if json.contains("64") {
                #expect(try sft.sequenceLength(contextLength: 128) == 64)
                #expect(try reward.sequenceLength(contextLength: 128) == 64)
            } else {
                let expected = TrainingError.invalidHyperparameter(
                    "max_length", "is 200, longer than the model's context length (n_positions 128)")
                #expect(throws: expected) { try sft.sequenceLength(contextLength: 128) }
                #expect(throws: expected) { try reward.sequenceLength(contextLength: 128) }
            }
        }
    }
}

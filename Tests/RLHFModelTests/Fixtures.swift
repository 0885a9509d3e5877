import RLHFCore
import RLHFTestSupport
@testable import RLHFModel

/// Shapes and random models for the tests. The odd configuration has nothing a multiple of 8 (C = 36,
/// 3 heads of 12, V = 67, T = 13, B = 3), so every SIMD kernel's tail runs.
enum Fixtures {
    static let odd = GPT2Config(vocabSize: 67, contextLength: 16, layers: 2, heads: 3, channels: 36)
    static let B = 3, T = 13
    /// Ragged: the second and third sequences are padded.
    static let lengths = [13, 9, 4]
    /// A pad id outside the vocabulary: reading it anywhere would trap or corrupt the results.
    static let pad: Int32 = 9_999

    /// A random model far from its initial values (ModelFixtures.randomModel).
    static func model(_ config: GPT2Config = odd, scalarHead: Bool = true, seed: UInt64 = 1) throws -> GPT2 {
        try ModelFixtures.randomModel(config, scalarHead: scalarHead, seed: seed)
    }

    static func batch(_ config: GPT2Config = odd, B: Int = B, T: Int = T, lengths: [Int] = lengths,
                      seed: UInt64 = 2) -> TokenBatch {
        var random = SeededRandom(seed: seed)
        var tokens = [Int32](repeating: pad, count: B * T)
        for b in 0..<B { for t in 0..<lengths[b] { tokens[b * T + t] = Int32(random.nextInt(below: config.vocabSize)) } }
        return TokenBatch(batchSize: B, sequenceLength: T, tokens: tokens, lengths: lengths)
    }

    /// Next-token targets with some positions masked out (-1), as SFT masks the prompt.
    static func maskedTargets(_ batch: TokenBatch, seed: UInt64 = 3) -> [Int32] {
        var random = SeededRandom(seed: seed)
        var targets = LanguageModelMicroBatch.nextToken(batch).targets
        for i in targets.indices where random.nextDouble() < 0.3 { targets[i] = -1 }
        return targets
    }

    static func gaussians(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var random = SeededRandom(seed: seed)
        return (0..<n).map { _ in scale * Float(random.nextGaussian()) }
    }
}

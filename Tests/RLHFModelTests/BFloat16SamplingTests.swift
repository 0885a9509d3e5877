import Foundation
import RLHFCore
import RLHFTestSupport
import XCTest
@testable import RLHFModel

/// Sampling over bfloat16 weights (`SamplingWeights.bfloat16`): the rounding is torch's, the kernels
/// compute exactly the float32 products over the rounded weights, and a bfloat16 Sampler is a float32
/// Sampler of the rounded model, bit for bit.
final class BFloat16SamplingTests: XCTestCase {
    let prompts = [[5, 9, 1, 30, 2], [7], [3, 3, 8, 60, 12, 4, 4, 9, 11], [66, 0]]

    /// Float bits and their bfloat16, from torch 2.13 `.to(torch.bfloat16)`: ties to even (0x3F808000
    /// down, 0x3F818000 up), above a tie, the largest float to infinity, subnormals, negatives.
    func testRoundingIsTorchs() {
        let pairs: [(UInt32, UInt16)] = [
            (0x3F80_0000, 0x3F80), (0x3F80_8000, 0x3F80), (0x3F81_8000, 0x3F82), (0x3F80_8008, 0x3F81),
            (0xBB23_D70A, 0xBB24), (0x7F7F_FFFF, 0x7F80), (0x0001_16C2, 0x0001), (0x3DCC_CCCD, 0x3DCD),
            (0xC0E3_F35B, 0xC0E4), (0x477F_E000, 0x4780), (0x3F80_C000, 0x3F81), (0x0000_0001, 0x0000),
            (0x807F_FFFF, 0x8080), (0x7F80_0001, 0x7FC0),   // a NaN with only low payload bits stays NaN
        ]
        for (float, expected) in pairs {
            XCTAssertEqual(BFloat16(Float(bitPattern: float)).bits, expected, String(format: "0x%08X", float))
        }
        XCTAssertTrue(BFloat16(.nan).float.isNaN)
        XCTAssertEqual(BFloat16(-.infinity).float, -.infinity)
        XCTAssertEqual(BFloat16.rounded(0.1), Float(bitPattern: 0x3DCD_0000))
    }

    /// The kernels over bfloat16 panels give the same bits as over float panels of the rounded weights,
    /// on every path (8-row AVX-512 blocks, 4-row blocks, lone rows against four panels and one, a padded
    /// last panel), alone or in a batch, and with the AVX-512 kernel or without it.
    func testBFloat16PanelsGiveTheFloatProductOverTheRoundedWeights() {
        let R = 21, IC = 301, OC = 1000 + 5
        let x = Fixtures.gaussians(R * IC, seed: 51), w = Fixtures.gaussians(OC * IC, seed: 52)
        let bias = Fixtures.gaussians(OC, seed: 53)
        let rounded = w.map(BFloat16.rounded)
        XCTAssertNotEqual(rounded, w)
        let floats = FloatBuffer(count: PackedMatrix.count(IC: IC, OC: OC))
        rounded.withUnsafeBufferPointer { PackedMatrix.pack(outputMajor: $0.baseAddress!, IC: IC, OC: OC, into: floats.pointer) }
        let halves = UnsafeMutablePointer<BFloat16>.allocate(capacity: PackedMatrix.count(IC: IC, OC: OC))
        defer { halves.deallocate() }
        w.withUnsafeBufferPointer { PackedMatrix.pack(outputMajor: $0.baseAddress!, IC: IC, OC: OC, into: halves) }
        let floatMatrix = PackedMatrix(pointer: floats.pointer, IC: IC, OC: OC)
        let halfMatrix = PackedMatrix(bfloat16: halves, IC: IC, OC: OC)
        func run(_ matrix: PackedMatrix, rows: Range<Int>, wide: Bool = CPUFeatures.avx512) -> [Float] {
            var out = [Float](repeating: 0, count: rows.count * OC)
            x.withUnsafeBufferPointer { xs in
                bias.withUnsafeBufferPointer { b in
                    DecodeKernels.dots(out: &out, ldOut: OC, x: xs.baseAddress! + rows.lowerBound * IC, ldX: IC, rows: rows.count,
                                       w: matrix, panels: 0..<matrix.panels, bias: b.baseAddress!, residual: nil, wide: wide)
                }
            }
            return out
        }
        let all = run(halfMatrix, rows: 0..<R)
        XCTAssertEqual(all, run(floatMatrix, rows: 0..<R), "bfloat16 panels differ from float panels of the rounded weights")
        var expected = [Double](repeating: 0, count: R * OC)
        for r in 0..<R { for j in 0..<OC {
            var s = Double(bias[j])
            for i in 0..<IC { s += Double(x[r * IC + i]) * Double(rounded[j * IC + i]) }
            expected[r * OC + j] = s
        } }
        let report = Tolerance.compare("bfloat16 dots", actual: all, expected: expected, relative: 1e-5, absolute: 1e-4)
        XCTAssert(report.passed, "\(report)")
        for r in [0, 4, 17, 20] {
            XCTAssertEqual(run(halfMatrix, rows: r..<(r + 1)), Array(all[(r * OC)..<((r + 1) * OC)]), "row \(r) alone")
        }
        XCTAssertEqual(run(halfMatrix, rows: 0..<R, wide: false), run(halfMatrix, rows: 0..<R, wide: CPUFeatures.avx512),
                       "the AVX-512 kernel (available: \(CPUFeatures.avx512)) differs from the AVX2 ones over bfloat16")
    }

    /// With the cache, every prefill and step logit of the bfloat16 decoder equals the full forward pass
    /// of the rounded model (within 1e-5), and differs from the float32 model's (the rounding is real).
    func testCachedLogitsEqualTheFullForwardOfTheRoundedModel() throws {
        let model = try Fixtures.model(scalarHead: false)
        let rounded = try model.roundingMatricesToBFloat16()
        let V = model.config.vocabSize
        let decoder = IncrementalDecoder(model: model, weights: DecodeWeights(model, precision: .bfloat16), sequences: prompts.count,
                                         positions: model.config.contextLength, rows: 32)
        decoder.prefill(prompts: prompts)
        var largestShift: Float = 0
        for (b, prompt) in prompts.enumerated() {
            let actual = Array(UnsafeBufferPointer(start: decoder.logits + b * V, count: V))
            let report = Tolerance.compare("prefill logits, sequence \(b)", actual: actual, expected: try logits(rounded, prompt),
                                           relative: 1e-5, absolute: 1e-5)
            XCTAssert(report.passed, "\(report)")
            largestShift = max(largestShift, zip(actual, try logits(model, prompt)).map { abs($0 - $1) }.max() ?? 0)
        }
        XCTAssertGreaterThan(largestShift, 1e-4, "bfloat16 weights changed no logit: were they rounded?")
        for step in 0..<4 {
            let tokens = prompts.indices.map { (7 * $0 + 3 * step) % V }
            decoder.run(tokens: tokens, sequences: Array(prompts.indices), positions: prompts.map { $0.count + step },
                        logitRows: Array(prompts.indices))
            for b in prompts.indices {
                let sequence = prompts[b] + (0...step).map { (7 * b + 3 * $0) % V }
                let report = Tolerance.compare("step \(step), sequence \(b)",
                                               actual: Array(UnsafeBufferPointer(start: decoder.logits + b * V, count: V)),
                                               expected: try logits(rounded, sequence), relative: 1e-5, absolute: 1e-5)
                XCTAssert(report.passed, "\(report)")
            }
        }
    }

    /// A bfloat16 Sampler samples what a float32 Sampler of the rounded model samples, to the bit
    /// (tokens and log-probabilities), and a sequence's sample does not depend on its batch.
    func testABFloat16SamplerIsAFloatSamplerOfTheRoundedModel() throws {
        let model = try Fixtures.model(.tiny, scalarHead: false)
        var random = SeededRandom(seed: 8)
        let requests = (0..<16).map { i in
            SamplingRequest(prompt: (0..<(1 + random.nextInt(below: 20))).map { _ in random.nextInt(below: 512) },
                            seed: 5, stream: UInt64(i))
        }
        let settings = SamplingSettings(temperature: 1, topK: 50, maxNewTokens: 12, stopTokens: [])
        let halves = Sampler(model: model, weights: .bfloat16)
        XCTAssertEqual(halves.precision, .bfloat16)
        let sampled = try halves.sample(requests, settings: settings)
        XCTAssertEqual(sampled, try Sampler(model: model.roundingMatricesToBFloat16()).sample(requests, settings: settings))
        XCTAssertNotEqual(sampled.map(\.logProbabilities), try Sampler(model: model).sample(requests, settings: settings).map(\.logProbabilities))
        for i in [0, 7, 15] {
            XCTAssertEqual(try halves.sample([requests[i]], settings: settings), [sampled[i]], "sequence \(i) alone")
        }
    }

    func testWeightFlags() {
        XCTAssertEqual(SamplingWeights(flag: "bf16"), .bfloat16)
        XCTAssertEqual(SamplingWeights(flag: "BFloat16"), .bfloat16)
        XCTAssertEqual(SamplingWeights(flag: "f32"), .float32)
        XCTAssertNil(SamplingWeights(flag: "fp16"))
        XCTAssertEqual(SamplingWeights.allCases.map(\.flag), ["f32", "bf16"])
    }

    private func logits(_ model: GPT2, _ sequence: [Int]) throws -> [Float] {
        try model.forward(TokenBatch(sequences: [sequence]))
        let V = model.config.vocabSize
        return Array(model.logits()[(sequence.count - 1) * V ..< sequence.count * V])
    }
}

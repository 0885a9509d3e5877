import Foundation
import Testing
import RLHFCore
import RLHFTestSupport
@testable import RLHFModel

/// AdamW, clipping and the schedule against a double-precision scalar loop written here from the
/// papers' formulas, over three steps (one step from zero state is nearly lr * sign(g), which would hide
/// a wrong second moment or bias correction).
@Suite struct OptimizerTests {
    @Test func threeStepsMatchDoublePrecisionLoop() throws {
        let model = try Fixtures.model()
        let batch = Fixtures.batch()
        let micro = LanguageModelMicroBatch(batch: batch, targets: Fixtures.maskedTargets(batch))
        let config = AdamWConfig(beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1, decayAllTensors: false)
        let schedule = LearningRateSchedule(peak: 3e-3, warmupSteps: 2, totalSteps: 3, finalRatio: 0.1)
        let optimizer = AdamW(config: config, layout: model.layout)
        let maxNorm: Float = 0.5

        var p = model.parameters.array.map(Double.init)
        var m = [Double](repeating: 0, count: p.count), v = m
        let decays = model.layout.tensors.flatMap { [Bool](repeating: $0.isMatrix, count: $0.count) }
        var clipped = false
        for step in 0..<3 {
            try model.accumulateCrossEntropy([micro])
            let g = model.gradients!.array.map(Double.init)
            // Ours.
            let norm = GradientClipping.globalNorm(model.gradients!)
            let lr = schedule.learningRate(step: step)
            optimizer.update(parameters: model.parameters, gradients: model.gradients!, learningRate: lr,
                             gradientScale: GradientClipping.scale(norm: norm, maxNorm: maxNorm))
            // Reference, from the same gradients.
            let referenceNorm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(Double(norm) - referenceNorm) <= 1e-5 * referenceNorm, "global norm \(norm) vs \(referenceNorm)")
            let scale = min(1, Double(maxNorm) / (referenceNorm + 1e-6))
            clipped = clipped || scale < 1
            let t = Double(step + 1)
            let rate = step < 2 ? 3e-3 * t / 2 : 3e-4 + (3e-3 - 3e-4) * 0.5 * (1 + cos(Double.pi * 0 / 1))
            #expect(abs(Double(lr) - rate) <= 1e-9, "learning rate at step \(step): \(lr) vs \(rate)")
            for i in 0..<p.count {
                let gi = g[i] * scale
                if decays[i] { p[i] *= 1 - rate * 0.1 }
                m[i] = 0.9 * m[i] + 0.1 * gi
                v[i] = 0.95 * v[i] + 0.05 * gi * gi
                let mHat = m[i] / (1 - pow(0.9, t)), vHat = v[i] / (1 - pow(0.95, t))
                p[i] -= rate * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        #expect(clipped, "the test must exercise clipping")
        #expect(optimizer.step == 3)
        for tensor in model.layout.tensors {
            let range = tensor.offset..<(tensor.offset + tensor.count)
            let report = Tolerance.compare("after 3 AdamW steps: \(HuggingFaceNames.name(tensor))",
                                           actual: Array(model.view(tensor)), expected: Array(p[range]),
                                           relative: 1e-4, absolute: 1e-6)
            if !report.passed { print(report) }
            #expect(report.passed, "\(report)")
        }
        let mReport = Tolerance.compare("first moments", actual: optimizer.m.array, expected: m, relative: 1e-4, absolute: 1e-9)
        let vReport = Tolerance.compare("second moments", actual: optimizer.v.array, expected: v, relative: 1e-4, absolute: 1e-12)
        #expect(mReport.passed, "\(mReport)")
        #expect(vReport.passed, "\(vReport)")
    }

    @Test func scheduleWarmsUpThenFollowsCosine() {
        let s = LearningRateSchedule(peak: 1e-3, warmupSteps: 10, totalSteps: 110, finalRatio: 0.1)
        #expect(abs(s.learningRate(step: 0) - 1e-4) < 1e-10)
        #expect(abs(s.learningRate(step: 9) - 1e-3) < 1e-9)
        #expect(abs(s.learningRate(step: 10) - 1e-3) < 1e-9)
        // Halfway through the decay the cosine is at its midpoint: (peak + floor) / 2.
        #expect(abs(s.learningRate(step: 60) - 5.5e-4) < 1e-8)
        #expect(abs(s.learningRate(step: 110) - 1e-4) < 1e-9)
        #expect(abs(s.learningRate(step: 500) - 1e-4) < 1e-9)
        for step in 10..<110 { #expect(s.learningRate(step: step + 1) <= s.learningRate(step: step)) }
        #expect(LearningRateSchedule.constant(2e-5).learningRate(step: 1234) == 2e-5)
    }

    @Test func noClippingBelowTheLimit() {
        #expect(GradientClipping.scale(norm: 0.3, maxNorm: 1) == 1)
        #expect(abs(GradientClipping.scale(norm: 4, maxNorm: 1) - 0.25) < 1e-6)
    }
}

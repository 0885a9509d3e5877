import Foundation

/// Linear warm-up then cosine decay (Loshchilov & Hutter 2017, as GPT-3 and nanoGPT schedule it).
/// Step s (0-based, the update about to be taken) gets peak * (s + 1) / warmup during warm-up (the first
/// update already moves, unlike Hugging Face's schedule whose step 0 has rate 0), then a cosine from peak
/// down to peak * finalRatio at totalSteps, and that floor after.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    /// Peak learning rate, reached at the end of warm-up.
    public var peak: Float
    /// Updates of linear warm-up.
    public var warmupSteps: Int
    /// Updates in the whole run (warm-up included).
    public var totalSteps: Int
    /// The final rate as a fraction of the peak. 0.1, as nanoGPT's min_lr = lr / 10.
    public var finalRatio: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, finalRatio: Float = 0.1) {
        self.peak = peak
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(1, totalSteps)
        self.finalRatio = finalRatio
    }

    /// A constant rate.
    public static func constant(_ rate: Float) -> LearningRateSchedule {
        LearningRateSchedule(peak: rate, warmupSteps: 0, totalSteps: 1, finalRatio: 1)
    }

    public func learningRate(step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let decaySteps = totalSteps - warmupSteps
        guard decaySteps > 0 else { return peak * finalRatio }
        let progress = min(1, Double(step - warmupSteps) / Double(decaySteps))
        let cosine = 0.5 * (1 + Foundation.cos(Double.pi * progress))
        let floor = Double(peak * finalRatio)
        return Float(floor + (Double(peak) - floor) * cosine)
    }
}

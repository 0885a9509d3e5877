import Foundation
import Testing
@testable import RLHFModel

/// The vector exp and tanh against the scalar library functions, over the ranges the kernels use.
@Suite struct VectorMathTests {
    @Test func expRelativeErrorBelow3e7() {
        var worst = 0.0
        var x: Float = -87
        while x <= 88 {
            let v = VectorMath.exp(SIMD8<Float>(repeating: x) + SIMD8(0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07))
            for lane in 0..<8 {
                let input = Double(x + Float(lane) * 0.01)
                let exact = Foundation.exp(Double(Float(input)))
                worst = max(worst, abs(Double(v[lane]) - exact) / exact)
            }
            x += 0.173
        }
        print("vector exp: largest relative error \(worst), tolerance 3e-7")
        #expect(worst < 3e-7, "vector exp: largest relative error \(worst), tolerance 3e-7")
        #expect(VectorMath.exp(SIMD8<Float>(repeating: -1000))[0] < 1e-37)
        #expect(VectorMath.exp(SIMD8<Float>(repeating: 0))[0] == 1)
    }

    @Test func tanhAbsoluteErrorBelow3e7() {
        var worst = 0.0
        var x: Float = -12
        while x <= 12 {
            let exact = Foundation.tanh(Double(x))
            worst = max(worst, abs(Double(VectorMath.tanh(SIMD8<Float>(repeating: x))[0]) - exact))
            x += 0.0037
        }
        print("vector tanh: largest absolute error \(worst), tolerance 3e-7")
        #expect(worst < 3e-7, "vector tanh: largest absolute error \(worst), tolerance 3e-7")
    }

    /// GELU and its derivative (computed through a sigmoid) against the tanh formula in double.
    @Test func geluMatchesTheTanhFormula() {
        var worst = 0.0, worstDerivative = 0.0
        var x: Float = -12
        while x <= 12 {
            let d = Double(x)
            let k = (2 / Double.pi).squareRoot()
            let th = Foundation.tanh(k * (d + 0.044715 * d * d * d))
            let exact = 0.5 * d * (1 + th)
            let exactDerivative = 0.5 * (1 + th) + 0.5 * d * (1 - th * th) * k * (1 + 3 * 0.044715 * d * d)
            let got = Double(GELU.value(SIMD8<Float>(repeating: x))[0])
            let gotDerivative = Double(GELU.derivative(SIMD8<Float>(repeating: x))[0])
            worst = max(worst, abs(got - exact) / max(1, abs(exact)))
            worstDerivative = max(worstDerivative, abs(gotDerivative - exactDerivative))
            x += 0.0131
        }
        print("gelu: largest error \(worst), derivative \(worstDerivative), tolerance 1e-6")
        #expect(worst < 1e-6, "gelu: largest error \(worst) (relative above 1, absolute below), tolerance 1e-6")
        #expect(worstDerivative < 1e-6, "gelu derivative: largest absolute error \(worstDerivative), tolerance 1e-6")
        // Far tails stay finite: x for large x, (negative) zero within float range for very negative x.
        #expect(abs(GELU.value(SIMD8<Float>(repeating: -1e6))[0]) < 1e-30 && GELU.value(SIMD8<Float>(repeating: 1e6))[0] == 1e6)
        #expect(abs(GELU.derivative(SIMD8<Float>(repeating: -1e6))[0]) < 1e-12 && GELU.derivative(SIMD8<Float>(repeating: 1e6))[0] == 1)
    }
}

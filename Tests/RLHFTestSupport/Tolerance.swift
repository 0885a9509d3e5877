/// Compares tensors element by element: an element passes when |actual - expected| <= absolute or
/// <= relative * |expected| (numpy's allclose rule). The report names the tensor, the largest
/// difference, where it is and the tolerance, so a failing test says what broke.
public struct ToleranceReport: CustomStringConvertible, Sendable {
    public let name: String
    public let count: Int
    public let relative: Double
    public let absolute: Double
    /// Largest |actual - expected| and where.
    public let largestDifference: Double
    public let largestIndex: Int
    /// The element that exceeds its tolerance by the largest factor, if any.
    public let worstIndex: Int?
    public let worstActual: Double
    public let worstExpected: Double
    public let failures: Int
    public let sizeMismatch: Bool

    public var passed: Bool { failures == 0 && !sizeMismatch }

    public var description: String {
        if sizeMismatch { return "\(name): size mismatch" }
        var text = "\(name): largest difference \(largestDifference) at index \(largestIndex) of \(count); "
            + "tolerance \(relative) relative or \(absolute) absolute"
        if let worstIndex {
            text += "; \(failures) out of tolerance, worst at \(worstIndex): actual \(worstActual), expected \(worstExpected)"
        }
        return text
    }
}

public enum Tolerance {
    public static func compare<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
        _ name: String, actual: [A], expected: [E], relative: Double = 1e-4, absolute: Double = 1e-5
    ) -> ToleranceReport {
        guard actual.count == expected.count else {
            return ToleranceReport(name: "\(name) (\(actual.count) vs \(expected.count) elements)", count: 0,
                                   relative: relative, absolute: absolute, largestDifference: .infinity, largestIndex: 0,
                                   worstIndex: nil, worstActual: 0, worstExpected: 0, failures: 1, sizeMismatch: true)
        }
        var largest = 0.0, largestIndex = 0
        var worstRatio = 1.0, worstIndex: Int? = nil
        var failures = 0
        for i in 0..<actual.count {
            let a = Double(actual[i]), e = Double(expected[i])
            let difference = abs(a - e)
            if difference > largest || difference.isNaN { largest = difference; largestIndex = i }
            let allowed = max(absolute, relative * abs(e))
            if !(difference <= allowed) {
                failures += 1
                let ratio = difference.isNaN ? .infinity : difference / allowed
                if ratio >= worstRatio { worstRatio = ratio; worstIndex = i }
            }
        }
        let w = worstIndex ?? 0
        return ToleranceReport(name: name, count: actual.count, relative: relative, absolute: absolute,
                               largestDifference: largest, largestIndex: largestIndex, worstIndex: worstIndex,
                               worstActual: actual.isEmpty ? 0 : Double(actual[w]),
                               worstExpected: expected.isEmpty ? 0 : Double(expected[w]),
                               failures: failures, sizeMismatch: false)
    }
}

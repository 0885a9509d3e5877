import Foundation

/// Opt-in wall-clock totals per kernel (`rlhf bench model --profile`), to see where a step's time goes.
/// Off by default; when off, `measure` costs one branch.
public enum Profile {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) private static var totals: [String: (seconds: Double, calls: Int)] = [:]

    @inline(__always)
    static func measure<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        guard enabled else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            let old = totals[name] ?? (0, 0)
            totals[name] = (old.seconds + seconds, old.calls + 1)
        }
        return try body()
    }

    public static func reset() { totals = [:] }

    /// Kernel name, total seconds and calls, largest first.
    public static func report() -> [(name: String, seconds: Double, calls: Int)] {
        totals.map { ($0.key, $0.value.seconds, $0.value.calls) }.sorted { $0.seconds > $1.seconds }
    }
}

import Foundation

/// Where a labeling session reads the time: the wall clock in use, a hand-driven one in tests
/// (leases that expire, time per label).
public protocol SessionClock: AnyObject {
    /// Unix time in milliseconds.
    func nowMs() -> Int64
}

public final class SystemClock: SessionClock {
    public init() {}
    public func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}

public final class ManualClock: SessionClock, @unchecked Sendable {
    public var ms: Int64
    public init(ms: Int64 = 1_800_000_000_000) { self.ms = ms }
    public func nowMs() -> Int64 { ms }
    public func advance(seconds: Double) { ms += Int64(seconds * 1000) }
}

/// Where a trainer reports its numbers (loss, learning rate, ...). Trainers never see the store: a
/// command hands them a sink that writes to it (or to nothing), so data flows one way.
public protocol MetricsSink: AnyObject {
    func record(step: Int, name: String, value: Double)
}

/// Keeps metrics in memory (tests, and commands run without a store).
public final class MemoryMetricsSink: MetricsSink {
    public private(set) var values: [(step: Int, name: String, value: Double)] = []
    public init() {}
    public func record(step: Int, name: String, value: Double) { values.append((step, name, value)) }
    public func last(_ name: String) -> Double? { values.last(where: { $0.name == name })?.value }
}

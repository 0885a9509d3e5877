import RLHFData

/// Which current labels a command reads: by prompt split, annotator and source. Empty lists mean
/// "all". A source of `imported` matches every `imported:<file>`.
public struct LabelFilter: Sendable {
    public var splits: [Split] = []
    public var annotators: [String] = []
    public var sources: [String] = []

    public init(splits: [Split] = [], annotators: [String] = [], sources: [String] = []) {
        self.splits = splits
        self.annotators = annotators
        self.sources = sources
    }

    /// SQL conditions over `cl` (current_labels), `p` (prompts) and `a` (annotators), with their values.
    public func sql() -> (condition: String, values: [SQLValue]) {
        var parts: [String] = []
        var values: [SQLValue] = []
        if !splits.isEmpty {
            parts.append("p.split IN (\(placeholders(splits.count)))")
            values += splits.map { .text($0.rawValue) }
        }
        if !annotators.isEmpty {
            parts.append("a.name IN (\(placeholders(annotators.count)))")
            values += annotators.map { .text($0) }
        }
        if !sources.isEmpty {
            var alternatives = ["cl.source IN (\(placeholders(sources.count)))"]
            values += sources.map { .text($0) }
            if sources.contains("imported") { alternatives.append("cl.source LIKE 'imported:%'") }
            parts.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        return (parts.isEmpty ? "1" : parts.joined(separator: " AND "), values)
    }

    func placeholders(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ", ") }
}

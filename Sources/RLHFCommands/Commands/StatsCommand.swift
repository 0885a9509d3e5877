import RLHFCore
import RLHFStore

struct StatsCommand: Command {
    static let name = "stats"
    static let abstract = "Counts: prompts by split, completions by origin, labels by winner, source and annotator"
    static let usage = "rlhf stats [--json] [--store PATH]"
    static let options: [OptionSpec] = [StoreOption.spec, .flag("--json", "one JSON object instead of text")]

    let storePath: String
    let json: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
        json = arguments.flag("--json")
    }

    func run(_ context: CommandContext) throws {
        let s = try StoreOption.open(storePath, context).stats()
        if json {
            func object(_ d: [String: Int]) -> JSONValue { .object(JSONObject(d.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })) }
            let value = JSONValue.object(JSONObject([
                ("schema_version", .int(s.schemaVersion)),
                ("prompts_by_split", object(s.promptsBySplit)),
                ("completions", .int(s.completions)),
                ("completions_by_origin", object(s.completionsByOrigin)),
                ("current_labels", .int(s.currentLabels)),
                ("current_labels_by_winner", object(s.currentLabelsByWinner)),
                ("current_labels_by_source", object(s.currentLabelsBySource)),
                ("superseded_labels", .int(s.supersededLabels)),
                ("rankings", .int(s.rankings)),
                ("annotators", .int(s.annotators)),
                ("current_labels_by_annotator", object(s.currentLabelsByAnnotator)),
                ("late_labels", .int(s.lateLabels)),
                ("guidelines_version", s.guidelinesVersion.map { .int($0) } ?? .null),
            ]))
            try context.stdout.write(JSONWriter.encode(value) + "\n")
            return
        }
        var text = "schema version \(s.schemaVersion)\n"
        func section(_ title: String, _ d: [String: Int], order: [String] = []) {
            text += title + "\n"
            let keys = order.filter { d[$0] != nil } + d.keys.filter { !order.contains($0) }.sorted()
            if keys.isEmpty { text += "  (none)\n" }
            for k in keys { text += "  " + k.padding(16) + String(d[k]!) + "\n" }
        }
        section("prompts by split:", s.promptsBySplit, order: ["train", "validation", "test", "unassigned"])
        text += "completions: \(s.completions)\n"
        section("completions by origin:", s.completionsByOrigin, order: ["sft", "generated", "imported"])
        text += "current labels: \(s.currentLabels) (superseded: \(s.supersededLabels); rankings: \(s.rankings))\n"
        section("current labels by winner:", s.currentLabelsByWinner, order: ["first", "second", "tie"])
        section("current labels by source:", s.currentLabelsBySource)
        text += "annotators: \(s.annotators)\n"
        section("current labels by annotator:", s.currentLabelsByAnnotator)
        text += "labels saved after their claim expired (beyond the overlap asked for): \(s.lateLabels)\n"
        text += "guidelines version: \(s.guidelinesVersion.map(String.init) ?? "none")\n"
        try context.stdout.write(text)
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}

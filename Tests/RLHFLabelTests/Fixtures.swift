import Foundation
import RLHFCore
import RLHFData
import RLHFLabel
import RLHFStore
import RLHFTestSupport

/// A store with `prompts` prompts of `completions` SFT completions each.
func labelingStore(prompts: Int, completions: Int) throws -> TemporaryStore {
    let t = try TemporaryStore()
    var lines: [String] = []
    for p in 0..<prompts {
        for c in 0..<completions { lines.append(#"{"prompt": "prompt \#(p)", "completion": " completion \#(p)-\#(c)"}"#) }
    }
    let path = try t.write(lines.joined(separator: "\n") + "\n", to: "sft.jsonl")
    _ = try t.store.importJSONL(try DataFile.lineReader(path: path), file: path, options: ImportOptions(kind: .sft))
    return t
}

func session(_ t: TemporaryStore, _ annotator: String, clock: ManualClock, configure: (inout SessionOptions) -> Void = { _ in }) throws -> LabelSession {
    var o = SessionOptions(annotator: annotator)
    configure(&o)
    return try LabelSession(store: t.store, options: o, clock: clock)
}

/// Runs a scripted session over `lines` and returns the JSON events it printed and its messages.
func scripted(_ s: LabelSession, _ lines: [String]) throws -> (events: [JSONObject], messages: [String]) {
    let out = MemorySink(), err = MemorySink()
    let input = LineReader(source: MemorySource(lines.joined(separator: "\n") + "\n"))
    try ScriptedLabeling(input: input, output: out, messages: err).run(s)
    return (try out.lines.map { try JSONParser.parse($0).objectValue! }, err.lines)
}

extension Store {
    /// (annotator, first, second) -> winner of the current labels.
    func currentByAnnotator() throws -> [String: String] {
        var result: [String: String] = [:]
        try forEachRow("""
            SELECT a.name, cl.first_id, cl.second_id, cl.winner, count(*) OVER (PARTITION BY a.name, cl.first_id, cl.second_id)
            FROM current_labels cl JOIN annotators a ON a.id = cl.annotator_id
            """) { r in result["\(r.text(0)) \(r.int64(1))-\(r.int64(2))"] = r.text(3) + (r.int(4) > 1 ? " DUPLICATE" : "") }
        return result
    }
}

import Foundation
import RLHFCore
import RLHFData
import RLHFLabel
import RLHFStore
import RLHFTestSupport

/// The demo dataset's validation split (304 prompts, 1,216 completions, 1,824 pairs) in a fresh store.
func demoStore(split: Split = .validation) throws -> TemporaryStore {
    let t = try TemporaryStore()
    let file = try requireFile(split)
    let path = try t.write(bytes: file, to: "sft-\(split.rawValue).jsonl")
    var options = ImportOptions(kind: .sft)
    options.split = split
    _ = try t.store.importJSONL(try DataFile.lineReader(path: path), file: path, options: options)
    return t
}

private let demoFiles = DemoDataset.generate().files()

private func requireFile(_ split: Split) throws -> [UInt8] {
    guard let file = demoFiles.first(where: { $0.name == "sft-\(split.rawValue).jsonl" }) else {
        throw FixtureError.missing("sft-\(split.rawValue).jsonl")
    }
    return file.bytes
}

enum FixtureError: Error { case missing(String) }

/// Every current label with its pair's gold scores (by completion id order) and what was recorded.
struct LabelRow: Equatable {
    let annotator: String, first: Int64, second: Int64, winner: String, strength: Int?, shownFirst: String?
    let source: String, seconds: Double?, goldFirst: Int, goldSecond: Int
}

func labelRows(_ store: Store) throws -> [LabelRow] {
    var rows: [LabelRow] = []
    try store.forEachRow("""
        SELECT a.name, cl.first_id, cl.second_id, cl.winner, cl.strength, cl.shown_first, cl.source, cl.seconds, f.text, s.text
        FROM current_labels cl JOIN annotators a ON a.id = cl.annotator_id
        JOIN completions f ON f.id = cl.first_id JOIN completions s ON s.id = cl.second_id
        ORDER BY a.name, cl.first_id, cl.second_id
        """) { r in
        rows.append(LabelRow(annotator: r.text(0), first: r.int64(1), second: r.int64(2), winner: r.text(3), strength: r.optionalInt(4),
                             shownFirst: r.optionalText(5), source: r.text(6), seconds: r.optionalDouble(7),
                             goldFirst: GoldScore.score(r.text(8)), goldSecond: GoldScore.score(r.text(9))))
    }
    return rows
}

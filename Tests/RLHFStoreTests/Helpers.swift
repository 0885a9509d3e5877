import Foundation
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport

extension TemporaryStore {
    /// Writes `lines` (joined with newlines) to a file and imports it.
    @discardableResult
    func importLines(_ lines: [String], kind: ImportKind, name: String = "input.jsonl",
                     options: (inout ImportOptions) -> Void = { _ in }) throws -> ImportSummary {
        let path = try write(lines.joined(separator: "\n") + "\n", to: name)
        return try importFile(path, kind: kind, options: options)
    }

    @discardableResult
    func importFile(_ path: String, kind: ImportKind, options: (inout ImportOptions) -> Void = { _ in }) throws -> ImportSummary {
        var o = ImportOptions(kind: kind)
        options(&o)
        return try store.importJSONL(try DataFile.lineReader(path: path), file: path, options: o)
    }

    func export(_ configure: (inout ExportOptions) -> Void = { _ in }) throws -> String {
        var o = ExportOptions()
        configure(&o)
        let sink = MemorySink()
        _ = try store.exportPreferences(o, to: sink)
        return sink.text
    }
}

/// A TRL line as our export writes it, for building inputs.
func trl(_ prompt: String, _ chosen: String, _ rejected: String, extra: String = "") -> String {
    var w = JSONWriter()
    w.raw("{\"prompt\":"); w.string(prompt)
    w.raw(",\"chosen\":"); w.string(chosen)
    w.raw(",\"rejected\":"); w.string(rejected)
    w.rawString(extra)
    w.raw("}")
    return String(decoding: w.bytes, as: UTF8.self)
}

let hhFile = TestPaths.shared("datasets/hh-rlhf/harmless-base-test.jsonl.gz").path

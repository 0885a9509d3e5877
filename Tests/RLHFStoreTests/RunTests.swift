import Foundation
import Testing
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport

@Suite struct RunTests {
    @Test func runsRecordMetricsAndCheckpoints() throws {
        let t = try TemporaryStore()
        let id = try t.store.startRun(kind: "sft", config: #"{"lr": 0.001}"#)
        do {
            let sink = StoreMetricsSink(store: t.store, runID: id, batch: 3)
            for step in 1...5 {
                sink.record(step: step, name: "loss", value: 5.0 / Double(step))
                sink.record(step: step, name: "lr", value: 0.001)
            }
            sink.record(step: 6, name: "loss", value: .nan)   // kept as NULL, not dropped
            try sink.flush()
        }
        try t.store.recordCheckpoint(runID: id, step: 5, path: "/tmp/ckpt", manifestSHA256: String(repeating: "a", count: 64))
        try t.store.finishRun(id, status: "finished")
        let runs = try t.store.runs()
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run.kind == "sft" && run.status == "finished" && run.lastStep == 6 && run.checkpoints == 1)
        #expect(run.lastMetrics["lr"] == 0.001)
        #expect(run.lastMetrics["loss"] == nil)   // its newest value is not a number
        var rows: [String] = []
        try t.store.metrics(runID: id) { rows.append("\($0) \($1) \($2.map { String($0) } ?? "null")") }
        #expect(rows.count == 11 && rows.first == "1 loss 5.0" && rows.last == "6 loss null")
        #expect(throws: SQLiteError.self) { try t.store.startRun(kind: "sft", config: "not json") }
    }
}

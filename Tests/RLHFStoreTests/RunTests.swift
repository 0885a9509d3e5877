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

@Suite struct TrainingDataTests {
    @Test func sftPairsLabeledPairsAndGeneratedCompletions() throws {
        let t = try TemporaryStore()
        try t.importLines([#"{"prompt": "p1", "completion": " a"}"#, #"{"prompt": "p2", "completion": " b"}"#], kind: .sft, name: "train.jsonl") { $0.split = .train }
        try t.importLines([#"{"prompt": "p3", "completion": " c"}"#], kind: .sft, name: "test.jsonl") { $0.split = .test }
        try t.importLines([trl("p1", " a", " z"), trl("p1", " y", " a", extra: #","meta":{"winner":"tie","tie_kind":"both-bad"}"#)], kind: .preferences) { $0.split = .train }
        #expect(try t.store.sftPairs(splits: [.train]).map(\.completion) == [" a", " b"])
        #expect(try t.store.sftPairs(splits: []).count == 3)
        let noTies = try t.store.labeledPairs(LabelFilter(splits: [.train]), includeTies: false)
        #expect(noTies.count == 1 && noTies[0].prompt == "p1")
        let chosen = noTies[0].winner == .first ? noTies[0].first : noTies[0].second
        #expect(chosen == " a")
        #expect(try t.store.labeledPairs(LabelFilter(), includeTies: true).count == 2)
        // Generated samples: the same text twice is one completion with two provenances.
        let p2 = try t.store.db.scalarInt("SELECT id FROM prompts WHERE text = 'p2'")!
        let arrival = try t.store.arrivalID(origin: .generated, settings: #"{"temperature":1}"#, seed: 7, now: Timestamp.now())
        #expect(try t.store.addGenerated(promptID: p2, text: " sampled", arrivalID: arrival, sampleIndex: 0, now: Timestamp.now()))
        #expect(try !t.store.addGenerated(promptID: p2, text: " sampled", arrivalID: arrival, sampleIndex: 1, now: Timestamp.now()))
        #expect(try t.store.count("SELECT count(*) FROM completion_origins WHERE origin = 'generated' AND seed = 7") == 2)
        #expect(try t.store.count("SELECT count(*) FROM completions WHERE text = ' sampled'") == 1)
    }
}

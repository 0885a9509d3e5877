import Foundation
import Testing
import RLHFCommands
import RLHFCore
import RLHFTestSupport

/// `rlhf simulate-labels` through the command line, on the demo dataset's validation split.
@Suite struct SimulateLabelsCommandTests {
    func demoStore(_ dir: TemporaryDirectory) {
        let sft = TestPaths.repo("datasets/demo/sft-validation.jsonl").path
        #expect(rlhf(["import", "sft", sft, "--split", "validation", "--store", "s.sqlite"], in: dir).code == 0)
    }

    @Test func labelsThroughTheQueueThenReports() throws {
        let dir = TemporaryDirectory()
        demoStore(dir)
        let run = rlhf(["simulate-labels", "--annotators", "2", "--overlap", "2", "--limit", "100", "--seed", "3", "--store", "s.sqlite"], in: dir)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("simulated labels saved: 200 (sim-1 100, sim-2 100); noise 1, tie rate 0.2, position bias 0.55, seed 3"))

        let report = rlhf(["simulate-labels", "--report", "--json", "--store", "s.sqlite"], in: dir)
        #expect(report.code == 0, "\(report.stderr)")
        let objects = try report.stdout.split(separator: "\n").map { try #require(try JSONParser.parse(String($0)).objectValue) }
        let gold = objects.filter { $0["kind"] == .string("gold_accuracy") }
        #expect(gold.map { $0["name"]?.stringValue } == ["sim-1", "sim-2", "(all)", "(majority)"])
        #expect(gold[0]["labels"] == .int(100) && gold[2]["labels"] == .int(200))
        let accuracy = try #require(gold[2]["accuracy"]?.doubleValue)
        #expect(accuracy > 0.75 && accuracy <= 1)
        #expect(objects.contains { $0["kind"] == .string("cohens_kappa") && $0["a"] == .string("sim-1") && $0["b"] == .string("sim-2") })
        #expect(objects.contains { $0["kind"] == .string("krippendorff_alpha") })
        #expect(objects.contains { $0["kind"] == .string("length_only") })

        let table = rlhf(["simulate-labels", "--report", "--store", "s.sqlite"], in: dir)
        #expect(table.stdout.contains("noise ceiling: a reward model that learned the gold rule exactly agrees with"))
        #expect(table.stdout.contains("Cohen's kappa"))

        // The labels are stored like anyone's: stats see them with source simulated.
        let stats = rlhf(["stats", "--json", "--store", "s.sqlite"], in: dir)
        let s = try #require(try JSONParser.parse(stats.stdout).objectValue)
        #expect(s["current_labels_by_source"] == .object(JSONObject([("simulated", .int(200))])))
    }

    @Test func usageErrors() {
        let dir = TemporaryDirectory()
        demoStore(dir)
        let none = rlhf(["simulate-labels", "--store", "s.sqlite"], in: dir)
        #expect(none.code == 2 && none.stderr.contains("needs --annotators N"))
        let reportOnly = rlhf(["simulate-labels", "--report", "--noise", "2", "--store", "s.sqlite"], in: dir)
        #expect(reportOnly.code == 2 && reportOnly.stderr.contains("--noise applies to labeling: give --annotators N too"))
        #expect(rlhf(["simulate-labels", "--annotators", "0", "--store", "s.sqlite"], in: dir).code == 2)
        #expect(rlhf(["simulate-labels", "--annotators", "2", "--tie-rate", "1", "--store", "s.sqlite"], in: dir).code == 2)
        #expect(rlhf(["simulate-labels", "--annotators", "2", "--position-bias", "0", "--store", "s.sqlite"], in: dir).code == 2)
        let typo = rlhf(["simulate-labels", "--annotator", "2", "--noize", "1"], in: dir)
        #expect(typo.code == 2 && typo.stderr.contains("did you mean --noise?"))
        let empty = rlhf(["simulate-labels", "--report", "--store", "s.sqlite"], in: dir)
        #expect(empty.code == 0 && empty.stdout.contains("no labels to score"))
    }
}

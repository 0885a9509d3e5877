import Foundation
import Testing
import RLHFCommands
import RLHFCore
import RLHFTestSupport

/// `rlhf dataset generate` and `rlhf gold-score` through the command line.
@Suite struct DatasetCommandTests {
    @Test func generateWritesTheCommittedFilesAndCheckCompares() throws {
        let dir = TemporaryDirectory()
        let r = rlhf(["dataset", "generate", "--out", "demo"], in: dir)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("train 2464 prompts / 9856 completions; validation 304 prompts / 1216 completions; test 304 prompts / 1216 completions"))
        #expect(r.stderr.contains("length-only rule (longer wins) on pairs with a gold winner: 51.1% by characters"))
        for name in ["prompts", "sft"].flatMap({ kind in ["train", "validation", "test"].map { "\(kind)-\($0).jsonl" } }) {
            let written = FileManager.default.contents(atPath: dir.file("demo/\(name)"))
            let committed = FileManager.default.contents(atPath: TestPaths.repo("datasets/demo/\(name)").path)
            #expect(written != nil && written == committed, "\(name)")
        }
        let ok = rlhf(["dataset", "generate", "--out", TestPaths.repo("datasets/demo").path, "--check"], in: dir)
        #expect(ok.code == 0 && ok.stderr.contains("6 files in"), "\(ok.stderr)")

        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: dir.file("demo/sft-test.jsonl")))
        let changed = rlhf(["dataset", "generate", "--out", "demo", "--check"], in: dir)
        #expect(changed.code == 1)
        #expect(changed.stderr.contains("sft-test.jsonl is not what seed 6 generates: regenerate with tools/generate-demo-dataset"))
        let otherSeed = rlhf(["dataset", "generate", "--out", "demo", "--seed", "7", "--check"], in: dir)
        #expect(otherSeed.code == 1 && otherSeed.stderr.contains("are not what seed 7 generates"))
        #expect(rlhf(["dataset", "generate", "--seed", "x"], in: dir).code == 2)
    }

    @Test func goldScoreOfArgumentsAndJSONLines() {
        let dir = TemporaryDirectory()
        let plain = rlhf(["gold-score", " The blue kettle is great.", " The blue kettle is great great.", " The blue kettle is great"], in: dir)
        #expect(plain.code == 0 && plain.stdout == "1\n0\n-1\n")
        let explained = rlhf(["gold-score", "--explain", " It is nice and nice"], in: dir)
        #expect(explained.stdout == #"{"score":-2,"positive":2,"negative":0,"repeated":1,"ended":false,"words":5}"# + "\n")

        let input = """
            {"text": " The blue kettle leaks. I hate it!"}

            {"prompt": "Write a short review of the blue kettle:", "completion": " It is lovely and sturdy."}
            {"prompt": "p", "completion": " Not good.", "text": "ignored"}
            """
        let lines = rlhf(["gold-score", "--jsonl"], in: dir, stdin: input + "\n")
        #expect(lines.code == 0, "\(lines.stderr)")
        #expect(lines.stdout == "{\"score\":-2}\n{\"score\":2}\n{\"score\":1}\n")

        let bad = rlhf(["gold-score", "--jsonl"], in: dir, stdin: "{\"text\": \"ok.\"}\n{\"prompt\": \"p\"}\n")
        #expect(bad.code == 1 && bad.stderr.contains("stdin:2: no \"completion\" or \"text\" field"), "\(bad.stderr)")
        #expect(bad.stdout == "{\"score\":0}\n")
        let notString = rlhf(["gold-score", "--jsonl"], in: dir, stdin: "{\"text\": 3}\n")
        #expect(notString.code == 1 && notString.stderr.contains("field \"text\" must be a string"))
        let none = rlhf(["gold-score"], in: dir)
        #expect(none.code == 2 && none.stderr.contains("needs a TEXT argument, or --jsonl"))
    }

    @Test func goldScoreReadsFilesLikeTheDatasetItScores() throws {
        let dir = TemporaryDirectory()
        let r = rlhf(["gold-score", "--jsonl", TestPaths.repo("datasets/demo/sft-test.jsonl").path], in: dir)
        #expect(r.code == 0)
        #expect(r.stdout.split(separator: "\n").count == 1216)
    }
}

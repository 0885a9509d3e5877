import Foundation
import Testing
import RLHFCommands
import RLHFCore
import RLHFTestSupport
import RLHFStore

/// End to end through the command line: exit codes, stdout bytes, stderr messages.
@Suite struct FoundationCommandTests {
    let hh = TestPaths.shared("datasets/hh-rlhf/harmless-base-test.jsonl.gz").path

    @Test func importExportRoundTripThroughTheCLI() throws {
        let dir = TemporaryDirectory()
        let imported = rlhf(["import", "preferences", hh, "--store", "a.sqlite"], in: dir)
        #expect(imported.code == 0, "\(imported.stderr)")
        #expect(imported.stdout.isEmpty)
        #expect(imported.stderr.contains("2312 records, 2312 new, 0 already there; 2310 new prompts, 4624 new completions"))
        let exported = rlhf(["export", "preferences", "--store", "a.sqlite"], in: dir)
        #expect(exported.code == 0)
        #expect(exported.stdout.split(separator: "\n").count == 2312)
        #expect(exported.stdout.hasSuffix("\n"))
        #expect(rlhf(["export", "preferences", "--store", "a.sqlite", "--out", "a.jsonl"], in: dir).code == 0)
        let file = try String(contentsOfFile: dir.file("a.jsonl"), encoding: .utf8)
        #expect(file == exported.stdout)
        #expect(rlhf(["import", "preferences", "a.jsonl", "--store", "b.sqlite"], in: dir).code == 0)
        #expect(rlhf(["export", "preferences", "--store", "b.sqlite"], in: dir).stdout == exported.stdout)
        let again = rlhf(["import", "preferences", hh, "--store", "a.sqlite"], in: dir)
        #expect(again.stderr.contains("2312 records, 0 new, 2312 already there"))
    }

    /// `--out` to a device is written as it is (renaming a file over /dev/null replaced it when run as
    /// root), and through a symbolic link the file it points to is replaced, the link kept.
    @Test func exportOutToADeviceOrThroughALink() throws {
        let dir = TemporaryDirectory()
        #expect(rlhf(["import", "preferences", hh, "--store", "a.sqlite"], in: dir).code == 0)
        let toNull = rlhf(["export", "preferences", "--store", "a.sqlite", "--out", "/dev/null"], in: dir)
        #expect(toNull.code == 0, "\(toNull.stderr)")
        let null = try FileManager.default.attributesOfItem(atPath: "/dev/null")
        #expect(null[.type] as? FileAttributeType == .typeCharacterSpecial)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/dev").allSatisfy { !$0.hasPrefix("null.partial") })

        try "old\n".write(toFile: dir.file("real.jsonl"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.jsonl"), withDestinationPath: dir.file("real.jsonl"))
        #expect(rlhf(["export", "preferences", "--store", "a.sqlite", "--out", "link.jsonl"], in: dir).code == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("link.jsonl")) == dir.file("real.jsonl"))
        let written = try String(contentsOfFile: dir.file("real.jsonl"), encoding: .utf8)
        #expect(written.split(separator: "\n").count == 2312)
    }

    @Test func storeComesFromTheFlagThenTheEnvironmentThenTheWorkingDirectory() throws {
        let dir = TemporaryDirectory()
        #expect(rlhf(["init"], in: dir).code == 0)
        #expect(FileManager.default.fileExists(atPath: dir.file("rlhf.sqlite")))
        #expect(rlhf(["init"], in: dir, environment: ["RLHF_STORE": "env.sqlite"]).code == 0)
        #expect(FileManager.default.fileExists(atPath: dir.file("env.sqlite")))
        #expect(rlhf(["init", "--store", "flag.sqlite"], in: dir, environment: ["RLHF_STORE": "env2.sqlite"]).code == 0)
        #expect(FileManager.default.fileExists(atPath: dir.file("flag.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: dir.file("env2.sqlite")))
        let again = rlhf(["init"], in: dir)
        #expect(again.stderr.contains("up to date"))
    }

    @Test func readersNeedAnExistingStoreAndCreateNone() {
        let dir = TemporaryDirectory()
        let r = rlhf(["export", "preferences", "--store", "missing.sqlite"], in: dir)
        #expect(r.code == 1)
        #expect(r.stderr.hasPrefix("error: no store at"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("missing.sqlite")))
        #expect(rlhf(["stats", "--store", "missing.sqlite"], in: dir).code == 1)
    }

    @Test func aBadLineIsFileLineReasonWithExitOne() throws {
        let dir = TemporaryDirectory()
        try "{\"prompt\": \"ok\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"x\", \"chosen\": 1, \"rejected\": \"b\"}\n"
            .write(toFile: dir.file("bad.jsonl"), atomically: true, encoding: .utf8)
        let r = rlhf(["import", "preferences", "bad.jsonl", "--store", "s.sqlite"], in: dir)
        #expect(r.code == 1)
        #expect(r.stderr.contains("error: \(dir.file("bad.jsonl")):2: field \"chosen\": expected a string (the prompt is a string), got number"))
        let stats = rlhf(["stats", "--json", "--store", "s.sqlite"], in: dir)
        #expect(stats.stdout.contains("\"current_labels\":0"))
    }

    @Test func usageErrorsExitTwoWithAHint() {
        let dir = TemporaryDirectory()
        let unknownFlag = rlhf(["export", "preferences", "--formt", "trl"], in: dir)
        #expect(unknownFlag.code == 2)
        #expect(unknownFlag.stderr.contains("unknown option --formt") && unknownFlag.stderr.contains("did you mean --format?"))
        let missingValue = rlhf(["export", "preferences", "--out"], in: dir)
        #expect(missingValue.code == 2 && missingValue.stderr.contains("--out needs a value"))
        let badChoice = rlhf(["export", "preferences", "--aggregate", "mean"], in: dir)
        #expect(badChoice.code == 2 && badChoice.stderr.contains("must be one of all, majority"))
        let unknownCommand = rlhf(["exprt"], in: dir)
        #expect(unknownCommand.code == 2 && unknownCommand.stderr.contains("did you mean 'export'?"))
        let badKind = rlhf(["import", "prefs", "x.jsonl"], in: dir)
        #expect(badKind.code == 2 && badKind.stderr.contains("unknown import kind 'prefs'"))
        let split = rlhf(["split", "--validation-fraction", "0.7", "--test-fraction", "0.5"], in: dir)
        #expect(split.code == 2 && split.stderr.contains("at most 1"))
        #expect(rlhf(["import", "prompts"], in: dir).code == 2)
    }

    @Test func everyCommandHasHelp() {
        let dir = TemporaryDirectory()
        for command in CommandRegistry.all {
            let r = rlhf(command.name.split(separator: " ").map(String.init) + ["--help"], in: dir)
            #expect(r.code == 0, "\(command.name)")
            #expect(r.stdout.hasPrefix("usage: rlhf \(command.name)"), "\(command.name): \(r.stdout.prefix(80))")
            for option in command.options { #expect(r.stdout.contains(option.name), "\(command.name) help lists \(option.name)") }
        }
        let overview = rlhf(["--help"], in: dir)
        #expect(overview.code == 0)
        for command in CommandRegistry.all { #expect(overview.stdout.contains(command.name)) }
    }

    @Test func splitAndStatsReport() throws {
        let dir = TemporaryDirectory()
        #expect(rlhf(["import", "preferences", hh, "--store", "s.sqlite"], in: dir).code == 0)
        let split = rlhf(["split", "--validation-fraction", "0.1", "--test-fraction", "0.2", "--seed", "3", "--store", "s.sqlite"], in: dir)
        #expect(split.code == 0)
        #expect(split.stderr.contains("assigned 2310 prompts: 1617 train, 231 validation, 462 test"))
        let stats = rlhf(["stats", "--json", "--store", "s.sqlite"], in: dir)
        let value = try JSONParser.parse(stats.stdout.trimmingCharacters(in: .newlines)).objectValue!
        #expect(value["prompts_by_split"] == .object(JSONObject([("test", .int(462)), ("train", .int(1617)), ("validation", .int(231))])))
        #expect(value["completions_by_origin"] == .object(JSONObject([("imported", .int(4624))])))
        #expect(value["current_labels"] == .int(2312))
        let text = rlhf(["stats", "--store", "s.sqlite"], in: dir)
        #expect(text.stdout.contains("train           1617"))
    }
}

@Suite struct RunsCommandTests {
    @Test func runsAndMetricsPrintWhatTheStoreHolds() throws {
        let dir = TemporaryDirectory()
        #expect(rlhf(["init", "--store", "s.sqlite"], in: dir).code == 0)
        let store = try RLHFStore.Store(path: dir.file("s.sqlite"))
        let id = try store.startRun(kind: "rm", config: "{}")
        try store.recordMetrics(id, [(1, "loss", 0.5), (2, "loss", 0.25), (2, "accuracy", 0.75)])
        let runs = rlhf(["runs", "--store", "s.sqlite"], in: dir)
        #expect(runs.code == 0 && runs.stdout.contains("rm") && runs.stdout.contains("steps 2") && runs.stdout.contains("loss=0.25"))
        let csv = rlhf(["metrics", "\(id)", "--store", "s.sqlite"], in: dir)
        #expect(csv.stdout == "step,name,value\n1,loss,0.5\n2,accuracy,0.75\n2,loss,0.25\n")
        let jsonl = rlhf(["metrics", "\(id)", "--format", "jsonl", "--store", "s.sqlite"], in: dir)
        #expect(jsonl.stdout.split(separator: "\n").first == #"{"step":1,"name":"loss","value":0.5}"#)
        #expect(rlhf(["metrics", "99", "--store", "s.sqlite"], in: dir).code == 1)
        #expect(rlhf(["metrics", "x", "--store", "s.sqlite"], in: dir).code == 2)
    }
}

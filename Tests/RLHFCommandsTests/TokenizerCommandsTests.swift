import Foundation
import RLHFCommands
import RLHFCore
import RLHFTestSupport
import Testing

/// `rlhf tokenizer train|encode|decode` run in-process: exact stdout, messages and exit codes.
@Suite struct TokenizerCommandsTests {
    let gpt2 = TestPaths.shared("reference/gpt2-tokenizer").path

    /// Like CLIRunner's `rlhf`, with stdin as bytes (to send invalid UTF-8) and any working directory.
    func cli(_ arguments: [String], stdin: String = "", in directory: String = "/") -> CLIResult {
        cli(arguments, stdinBytes: Array(stdin.utf8), in: directory)
    }

    func cli(_ arguments: [String], stdinBytes: [UInt8], in directory: String = "/") -> CLIResult {
        let out = MemorySink()
        let err = MemorySink()
        let context = CommandContext(stdout: out, stderr: err, stdin: MemorySource(stdinBytes), environment: [:],
                                     currentDirectory: directory)
        let code = RLHF.main(arguments, context: context)
        return CLIResult(code: code, stdout: out.text, stderr: err.text)
    }

    @Test func encodePrintsIdsAndSpellings() {
        let run = cli(["tokenizer", "encode", "--tokenizer", gpt2, "Hello world<|endoftext|>"])
        #expect(run.code == 0)
        #expect(run.stdout == "15496\tHello\n995\tĠworld\n50256\t<|endoftext|>\n")
        let ordinary = cli(["tokenizer", "encode", "--tokenizer", gpt2, "--ordinary", "<|endoftext|>"])
        #expect(ordinary.stdout.split(separator: "\n").map { $0.split(separator: "\t")[0] } == ["27", "91", "437", "1659", "5239", "91", "29"])
    }

    @Test func encodeAndDecodeJSONLinesInOrder() {
        let input = #"{"text": "Hello world"}"# + "\n" + #"{"text": "a\u0000b\n\nc"}"# + "\n" + #"{"text": ""}"# + "\n"
        let encoded = cli(["tokenizer", "encode", "--tokenizer", gpt2, "--jsonl"], stdin: input)
        #expect(encoded.code == 0)
        #expect(encoded.stdout == "{\"ids\":[15496,995]}\n{\"ids\":[64,188,65,198,198,66]}\n{\"ids\":[]}\n")
        let decoded = cli(["tokenizer", "decode", "--tokenizer", gpt2, "--jsonl"], stdin: encoded.stdout)
        #expect(decoded.code == 0)
        #expect(decoded.stdout == "{\"text\":\"Hello world\"}\n{\"text\":\"a\\u0000b\\n\\nc\"}\n{\"text\":\"\"}\n")
        let plain = cli(["tokenizer", "decode", "--tokenizer", gpt2, "15496", "995,50256"])
        #expect(plain.stdout == "Hello world<|endoftext|>\n")
    }

    @Test func badInputIsAnErrorNamingTheLine() {
        let missing = cli(["tokenizer", "encode", "--tokenizer", gpt2, "--jsonl"], stdin: "{\"text\": \"ok\"}\n{\"txt\": 1}\n")
        #expect(missing.code == 1)
        #expect(missing.stdout == "{\"ids\":[482]}\n")
        #expect(missing.stderr == "error: stdin line 2: expected a string field \"text\"\n")
        let badUTF8 = cli(["tokenizer", "encode", "--tokenizer", gpt2, "--jsonl"],
                           stdinBytes: Array(#"{"text":""#.utf8) + [0xFF] + Array(#""}"#.utf8))
        #expect(badUTF8.code == 1)
        #expect(badUTF8.stderr == "error: stdin line 1: not valid JSON (column 10: invalid UTF-8 in string)\n")
        let split = cli(["tokenizer", "decode", "--tokenizer", gpt2, "--jsonl"], stdin: "{\"ids\": [164]}\n")
        #expect(split.code == 1)
        #expect(split.stderr.contains("stdin line 1") && split.stderr.contains("not valid UTF-8"))
        let unknown = cli(["tokenizer", "decode", "--tokenizer", gpt2, "50257"])
        #expect(unknown.code == 1)
        #expect(unknown.stderr == "error: token id 50257 is not in the vocabulary (ids are 0...50256)\n")
    }

    @Test func usageErrorsExitWithTwo() {
        #expect(cli(["tokenizer", "encode", "x"]).code == 2)
        #expect(cli(["tokenizer", "encode", "--tokenizer", gpt2]).code == 2)
        #expect(cli(["tokenizer", "encode", "--tokenizer", gpt2, "--jsonl", "x"]).code == 2)
        #expect(cli(["tokenizer", "decode", "--tokenizer", gpt2, "12x"]).code == 2)
        #expect(cli(["tokenizer", "train", "--vocab-size", "256", "--out", "/tmp/x", "f"]).code == 2)
        #expect(cli(["tokenizer", "train", "--vocab-size", "300", "--out", "/tmp/x"]).code == 2)
        let noFolder = cli(["tokenizer", "encode", "--tokenizer", "/nonexistent-folder", "x"])
        #expect(noFolder.code == 1)
        #expect(noFolder.stderr == "error: /nonexistent-folder: no such folder\n")
    }

    @Test func trainsFromTheStoresPromptsAndCompletions() throws {
        let dir = TemporaryDirectory("tokenizer-from-store")
        let missing = cli(["tokenizer", "train", "--vocab-size", "300", "--from-store", "--out", "tok", "--store", "none.sqlite"], in: dir.path)
        #expect(missing.code == 1 && missing.stderr.contains("no store at"))
        let lines = (0..<40).map { #"{"prompt": "review the kettle \#($0 % 4)", "completion": " the kettle is lovely and the tea is hot"}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("sft.jsonl"), atomically: true, encoding: .utf8)
        #expect(cli(["import", "sft", "sft.jsonl", "--store", "s.sqlite"], in: dir.path).code == 0)
        let train = cli(["tokenizer", "train", "--vocab-size", "280", "--from-store", "--out", "tok", "--store", "s.sqlite"], in: dir.path)
        #expect(train.code == 0, "\(train.stderr)")
        // 4 prompts and 1 completion per prompt text... each text once: 4 prompts + 4 completions.
        #expect(train.stderr.hasPrefix("trained 280 tokens"))
        #expect(train.stderr.contains("on 8 store texts"))
        let encoded = cli(["tokenizer", "encode", "--tokenizer", "tok", "the kettle"], in: dir.path)
        #expect(encoded.code == 0 && encoded.stdout.split(separator: "\n").count <= 3, "merges learned from the store shorten common words")
    }

    @Test func trainWritesAFolderThatEncodes() throws {
        let dir = TemporaryDirectory("tokenizer-command")
        let corpus = String(repeating: "the cat sat on the mat. the dog sat on the log.\n", count: 50)
        try corpus.write(toFile: dir.file("a.txt"), atomically: true, encoding: .utf8)
        try "the cat and the dog\n".write(toFile: dir.file("b.txt"), atomically: true, encoding: .utf8)
        let train = cli(["tokenizer", "train", "--vocab-size", "270", "--out", "tok", "a.txt", "b.txt"], in: dir.path)
        #expect(train.code == 0, "\(train.stderr)")
        #expect(train.stderr.hasPrefix("trained 270 tokens (13 merges) on 2 files (2420 bytes)"))
        let config = try String(contentsOfFile: dir.file("tok/tokenizer_config.json"), encoding: .utf8)
        #expect(config.contains("\"eos_token\": \"<|endoftext|>\""))
        let encoded = cli(["tokenizer", "encode", "--tokenizer", "tok", "the cat<|endoftext|>"], in: dir.path)
        #expect(encoded.code == 0)
        let lines = encoded.stdout.split(separator: "\n")
        #expect(lines.last == "269\t<|endoftext|>")
        #expect(lines.count < 8)  // "the", " cat" were learned as tokens or parts of them
        let decoded = cli(["tokenizer", "decode", "--tokenizer", "tok"] + lines.map { String($0.split(separator: "\t")[0]) },
                           in: dir.path)
        #expect(decoded.stdout == "the cat<|endoftext|>\n")

        try Data([0x61, 0xC3]).write(to: URL(fileURLWithPath: dir.file("bad.txt")))
        let bad = cli(["tokenizer", "train", "--vocab-size", "280", "--out", "tok2", "bad.txt"], in: dir.path)
        #expect(bad.code == 1)
        #expect(bad.stderr.contains("bad.txt is not valid UTF-8 (first bad byte at offset 1)"))
    }
}

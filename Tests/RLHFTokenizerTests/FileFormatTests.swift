import Foundation
import RLHFTestSupport
import Testing
@testable import RLHFTokenizer

@Suite struct FileFormatTests {
    /// A tokenizer that can be written by hand: the 256 bytes, merges a+b and ab+c, `<|endoftext|>`.
    static let tinyEncoder: [(String, Int)] = {
        var entries = ByteLevel.byteOrder.enumerated().map { (ByteLevel.spell([$0.element]), $0.offset) }
        entries += [("ab", 256), ("abc", 257), ("<|endoftext|>", 258)]
        return entries
    }()

    func encoderJSON(_ entries: [(String, Int)]) -> String {
        "{" + entries.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    func jsonString(_ s: String) -> String {
        var w = JSONWriterShim()
        return w.quote(s)
    }

    func folder(_ files: [String: String]) throws -> TemporaryDirectory {
        let dir = TemporaryDirectory("tokenizer-files")
        for (name, text) in files { try text.write(toFile: dir.file(name), atomically: true, encoding: .utf8) }
        return dir
    }

    func loadError(_ files: [String: String]) throws -> TokenizerError? {
        let dir = try folder(files)
        do { _ = try TokenizerFiles.load(directory: dir.path); return nil } catch { return error }
    }

    @Test func loadsHandWrittenGPT2Files() throws {
        let dir = try folder(["vocab.json": encoderJSON(Self.tinyEncoder), "merges.txt": "#version: 0.2\na b\nab c\n"])
        let tokenizer = try BPETokenizer(directory: dir.path)
        #expect(tokenizer.encodeAllowingSpecialTokens("abcab<|endoftext|>") == [257, 256, 258])
        #expect(tokenizer.encodeOrdinary("xabc") == [tokenizer.vocabulary.id(forSpelling: "x"), 257])
    }

    @Test func missingFilesAreNamed() throws {
        let dir = try folder(["readme.txt": "x"])
        #expect(throws: TokenizerError.noTokenizerFiles(directory: dir.path)) { try TokenizerFiles.load(directory: dir.path) }
        #expect(throws: TokenizerError.self) { try TokenizerFiles.load(directory: dir.file("nope")) }
    }

    @Test func malformedGPT2FilesSayWhatIsWrong() throws {
        func message(_ encoder: String, _ merges: String) throws -> String {
            try #require(try loadError(["encoder.json": encoder, "vocab.bpe": merges])).description
        }
        let good = encoderJSON(Self.tinyEncoder)
        #expect(try message("{\"a\": ", "").contains("not valid JSON"))
        #expect(try message("[1, 2]", "").contains("expected a JSON object"))
        #expect(try message(good, "a b\nab c d\n").contains("line 2"))
        #expect(try message(good, "a b\nab zz\n").contains("\"zz\" is not in the vocabulary"))
        #expect(try message(good, "a b\nb c\n").contains("\"bc\", which is not in the vocabulary"))
        var gap = Self.tinyEncoder
        gap[257].1 = 300
        #expect(try message(encoderJSON(gap), "a b\n").contains("id 300"))
        // Drop the space's token (Ġ, id 220) and close the gap.
        var noByte = Self.tinyEncoder.filter { $0.0 != "Ġ" }
        noByte = noByte.map { ($0.0, $0.1 > 220 ? $0.1 - 1 : $0.1) }
        let text = try message(encoderJSON(noByte), "")
        #expect(text.contains("no token for byte 0x20"), "\(text)")
        var badId = Self.tinyEncoder
        badId[0].1 = -3
        #expect(try message(encoderJSON(badId), "").contains("not a non-negative integer"))
    }

    @Test func malformedTokenizerJSONSaysWhatIsWrong() throws {
        let dir = TemporaryDirectory("tokenizer-save")
        let vocabulary = try BPETrainer.train(texts: ["abc abc abd"], vocabSize: 260)
        try TokenizerFiles.save(vocabulary, directory: dir.path)
        let good = try String(contentsOfFile: dir.file("tokenizer.json"), encoding: .utf8)

        func message(_ edit: (String) -> String) throws -> String {
            try #require(try loadError(["tokenizer.json": edit(good)])).description
        }
        #expect(try message { String($0.dropLast(5)) }.contains("not valid JSON"))
        #expect(try message { $0.replacingOccurrences(of: "\"type\": \"BPE\"", with: "\"type\": \"WordPiece\"") }
            .contains("model.type is \"WordPiece\""))
        #expect(try message { $0.replacingOccurrences(of: "\"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n  \"post", with: "\"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n  \"post") }
            .contains("add_prefix_space"))
        #expect(try message { $0.replacingOccurrences(of: "\"normalizer\": null", with: "\"normalizer\": {\"type\": \"NFC\"}") }
            .contains("normalizer (\"NFC\")"))
        #expect(try message { $0.replacingOccurrences(of: "\"merges\": [", with: "\"merges\": [[\"Ġ\", \"zz\"], ") }
            .contains("model.merges[0]: \"zz\" is not in model.vocab"))
        #expect(try message { $0.replacingOccurrences(of: "\"merges\": [", with: "\"merges\": [[\"a\"], ") }
            .contains("model.merges[0]"))
        #expect(try message { $0.replacingOccurrences(of: "\"vocab\": {", with: "\"vocab\": {\"zzz\": 500, ") }
            .contains("\"zzz\" has id 500, but there are only"))
        #expect(try message { $0.replacingOccurrences(of: "\"vocab\": {", with: "\"vocab\": {\"zzz\": 3, ") }
            .contains("id 3 is given to two tokens"))
        #expect(try message { $0.replacingOccurrences(of: "\"vocab\": {", with: "\"vocab\": {\"\u{263A}\": 3, ") }
            .contains("token 3 \"\u{263A}\" has a character outside the ByteLevel alphabet"))
        #expect(try message { $0.replacingOccurrences(of: "\"ignore_merges\": false", with: "\"ignore_merges\": true") }
            .contains("ignore_merges"))
    }

    /// tokenizers before 0.20 wrote each merge as one string "left right".
    @Test func loadsMergesWrittenAsStrings() throws {
        let dir = TemporaryDirectory("tokenizer-old-merges")
        let vocabulary = try BPETrainer.train(texts: ["abc abc abd abd"], vocabSize: 262)
        try TokenizerFiles.save(vocabulary, directory: dir.path)
        var text = try String(contentsOfFile: dir.file("tokenizer.json"), encoding: .utf8)
        for merge in vocabulary.merges {
            let left = vocabulary.spelling(of: merge.left)!, right = vocabulary.spelling(of: merge.right)!
            text = text.replacingOccurrences(of: "[\(jsonString(left)), \(jsonString(right))]", with: jsonString(left + " " + right))
        }
        #expect(!text.contains("      ["))
        try text.write(toFile: dir.file("tokenizer.json"), atomically: true, encoding: .utf8)
        let loaded = try TokenizerFiles.load(directory: dir.path)
        #expect(loaded.merges.map { [$0.left, $0.right] } == vocabulary.merges.map { [$0.left, $0.right] })
        #expect(BPETokenizer(vocabulary: loaded).encodeOrdinary("abd abc") == BPETokenizer(vocabulary: vocabulary).encodeOrdinary("abd abc"))
    }

    @Test func savedGPT2TokenizerReloadsAndPassesTheReferenceCases() throws {
        let dir = TemporaryDirectory("tokenizer-gpt2")
        try TokenizerFiles.save(TestData.gpt2FromGPT2Files, directory: dir.path)
        let reloaded = try BPETokenizer(directory: dir.path)
        #expect(reloaded.vocabulary.count == 50257)
        #expect(reloaded.vocabulary.mergeCount == 50000)
        for c in TestData.cases { #expect(reloaded.encodeAllowingSpecialTokens(c.text) == c.ids, "line \(c.line)") }
        let config = try String(contentsOfFile: dir.file("tokenizer_config.json"), encoding: .utf8)
        #expect(config.contains("\"tokenizer_class\": \"GPT2TokenizerFast\""))
        #expect(config.contains("\"eos_token\": \"<|endoftext|>\""))
        #expect(config.contains("\"50256\": {\"content\": \"<|endoftext|>\""))
    }
}

/// JSON string quoting for building test files.
private struct JSONWriterShim {
    mutating func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

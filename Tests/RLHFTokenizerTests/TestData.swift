import Foundation
import RLHFCore
import RLHFTestSupport
@testable import RLHFTokenizer

/// Shared inputs for the tokenizer tests, loaded once per test process.
enum TestData {
    static let referenceDirectory = TestPaths.shared("reference/gpt2-tokenizer").path

    /// One line of `encode_cases.jsonl`.
    struct Case: Sendable {
        let line: Int
        let source: String
        let text: String
        let ids: [Int]
    }

    static let cases: [Case] = {
        let path = TestPaths.shared("reference/gpt2-tokenizer/encode_cases.jsonl").path
        guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
        var out: [Case] = []
        for (i, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let object = (try? JSONParser.parse(Array(line)))?.objectValue,
                  let text = object["text"]?.stringValue, let source = object["source"]?.stringValue,
                  let ids = object["ids"]?.arrayValue?.compactMap(\.intValue) else {
                fatalError("\(path) line \(i + 1) is not a case")
            }
            out.append(Case(line: i + 1, source: source, text: text, ids: ids))
        }
        return out
    }()

    static let gpt2FromGPT2Files: BPEVocabulary = {
        do {
            return try GPT2Files.load(encoderPath: referenceDirectory + "/encoder.json",
                                      mergesPath: referenceDirectory + "/vocab.bpe")
        } catch { fatalError("cannot load GPT-2 files: \(error)") }
    }()

    static let gpt2FromTokenizerJSON: BPEVocabulary = {
        do {
            return try HuggingFaceTokenizerFile.load(path: referenceDirectory + "/tokenizer.json")
        } catch { fatalError("cannot load tokenizer.json: \(error)") }
    }()

    /// The chosen and rejected strings of every line of the HH-RLHF test split (4,624 texts), read with
    /// the system gzip so this target needs no zlib.
    static let hhTexts: [String] = {
        let path = TestPaths.shared("datasets/hh-rlhf/harmless-base-test.jsonl.gz").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { fatalError("cannot run gzip: \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var texts: [String] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let object = (try? JSONParser.parse(Array(line)))?.objectValue,
                  let chosen = object["chosen"]?.stringValue, let rejected = object["rejected"]?.stringValue else {
                fatalError("\(path): a line is not {chosen, rejected}")
            }
            texts.append(chosen)
            texts.append(rejected)
        }
        return texts
    }()
}

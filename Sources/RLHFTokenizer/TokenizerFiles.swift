import Foundation
import RLHFCore

/// Reading and writing tokenizer folders. A folder holds either OpenAI's GPT-2 files (`encoder.json` +
/// `vocab.bpe`, also named `vocab.json` + `merges.txt`) or a Hugging Face `tokenizer.json`; we write
/// `tokenizer.json` + `tokenizer_config.json`, which `tokenizers` and `transformers.AutoTokenizer` load.
public enum TokenizerFiles {
    /// The text of the token that GPT-2 appends after each document.
    public static let endOfText = "<|endoftext|>"

    /// Loads the tokenizer in `directory`: `tokenizer.json` when present, else the GPT-2 pair.
    public static func load(directory: String) throws(TokenizerError) -> BPEVocabulary {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw .io(path: directory, reason: "no such folder")
        }
        guard isDirectory.boolValue else {
            throw .io(path: directory, reason: "not a folder; give the folder that holds tokenizer.json or encoder.json")
        }
        func path(_ name: String) -> String? {
            let p = (directory as NSString).appendingPathComponent(name)
            return fileManager.fileExists(atPath: p) ? p : nil
        }
        if let tokenizerJSON = path("tokenizer.json") {
            return try HuggingFaceTokenizerFile.load(path: tokenizerJSON)
        }
        if let encoder = path("encoder.json") ?? path("vocab.json"), let merges = path("vocab.bpe") ?? path("merges.txt") {
            return try GPT2Files.load(encoderPath: encoder, mergesPath: merges)
        }
        throw .noTokenizerFiles(directory: directory)
    }

    /// Writes `tokenizer.json` and `tokenizer_config.json` into `directory` (created if needed).
    /// `endOfText` (default `<|endoftext|>`, else the first special token) is written as the eos, bos,
    /// unk and pad token, as GPT-2's own configuration does.
    public static func save(_ vocabulary: BPEVocabulary, directory: String, modelMaxLength: Int? = nil)
        throws(TokenizerError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory, reason: "cannot create folder: \(error.localizedDescription)")
        }
        let tokenizer = HuggingFaceTokenizerFile.encode(vocabulary)
        let config = HuggingFaceTokenizerFile.encodeConfig(vocabulary, modelMaxLength: modelMaxLength)
        try write(tokenizer, to: (directory as NSString).appendingPathComponent("tokenizer.json"))
        try write(config, to: (directory as NSString).appendingPathComponent("tokenizer_config.json"))
    }

    static func read(_ path: String) throws(TokenizerError) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws(TokenizerError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Parses a JSON file, turning parse errors into `malformed` naming the file and column.
    static func parseJSON(_ path: String) throws(TokenizerError) -> JSONValue {
        let bytes = try read(path)
        do {
            return try JSONParser.parse(bytes)
        } catch let error as JSONParseError {
            throw .malformed(path: path, what: "not valid JSON (byte \(error.column): \(error.message))")
        } catch {
            throw .malformed(path: path, what: "not valid JSON (\(error))")
        }
    }
}

/// OpenAI's GPT-2 files: `encoder.json` (token spelling -> id) and `vocab.bpe` (a `#version` line, then
/// one merge per line, the two parts separated by one space, in rank order).
enum GPT2Files {
    static func load(encoderPath: String, mergesPath: String) throws(TokenizerError) -> BPEVocabulary {
        guard let encoder = try TokenizerFiles.parseJSON(encoderPath).objectValue else {
            throw .malformed(path: encoderPath, what: "expected a JSON object of token -> id")
        }
        var idBySpelling: [String: Int] = [:]
        idBySpelling.reserveCapacity(encoder.count)
        var tokens = [[UInt8]?](repeating: nil, count: encoder.count)
        var added: [AddedToken] = []
        for (spelling, value) in encoder {
            guard let id = value.intValue, id >= 0 else {
                throw .malformed(path: encoderPath, what: "token \"\(spelling)\" has id \(JSONWriter.encode(value)), not a non-negative integer")
            }
            guard id < encoder.count else {
                throw .malformed(path: encoderPath, what: "token \"\(spelling)\" has id \(id), but there are only \(encoder.count) tokens (ids must be 0...\(encoder.count - 1))")
            }
            guard tokens[id] == nil else {
                throw .malformed(path: encoderPath, what: "id \(id) is given to two tokens (the second is \"\(spelling)\")")
            }
            if spelling == TokenizerFiles.endOfText {
                tokens[id] = Array(spelling.utf8)
                added.append(AddedToken(id: id, content: spelling))
            } else {
                guard let bytes = ByteLevel.bytes(ofSpelling: spelling) else {
                    throw .malformed(path: encoderPath, what: "token \(id) \"\(spelling)\" has a character outside GPT-2's byte alphabet")
                }
                tokens[id] = bytes
            }
            idBySpelling[spelling] = id
        }
        let merges = try parseMerges(path: mergesPath, idBySpelling: idBySpelling)
        do {
            // Ids are unique and below count, so every slot is filled.
            return try BPEVocabulary(tokens: tokens.map { $0 ?? [] }, merges: merges, addedTokens: added)
        } catch {
            throw .malformed(path: "\(encoderPath) + \(mergesPath)", what: error.description)
        }
    }

    static func parseMerges(path: String, idBySpelling: [String: Int]) throws(TokenizerError) -> [(Int, Int)] {
        let bytes = try TokenizerFiles.read(path)
        if let bad = bytes.withUnsafeBytes({ UTF8Validation.firstInvalidOffset($0) }) {
            throw .malformed(path: path, what: "not valid UTF-8 (byte \(bad))")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var merges: [(Int, Int)] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty || (lineNumber == 1 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .malformed(path: path, what: "line \(lineNumber) is \"\(line)\"; expected two tokens separated by one space")
            }
            guard let left = idBySpelling[String(parts[0])] else {
                throw .malformed(path: path, what: "line \(lineNumber): \"\(parts[0])\" is not in the vocabulary")
            }
            guard let right = idBySpelling[String(parts[1])] else {
                throw .malformed(path: path, what: "line \(lineNumber): \"\(parts[1])\" is not in the vocabulary")
            }
            merges.append((left, right))
        }
        return merges
    }
}

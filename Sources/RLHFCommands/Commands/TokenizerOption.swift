import Foundation
import RLHFCore
import RLHFTokenizer

/// `--tokenizer DIR`, shared by the tokenizer commands: a folder holding `tokenizer.json`, or GPT-2's
/// `encoder.json` + `vocab.bpe`.
enum TokenizerOption {
    static let spec = OptionSpec.value("--tokenizer", "DIR",
                                       "folder with tokenizer.json, or encoder.json + vocab.bpe")

    static func directory(_ arguments: ParsedArguments, _ context: CommandContext, command: String) throws -> String {
        guard let given = arguments.string("--tokenizer") else {
            throw UsageError("'rlhf \(command)' needs --tokenizer DIR (a folder with tokenizer.json, "
                + "or encoder.json + vocab.bpe)")
        }
        return context.resolve(given)
    }

    /// Swift repairs invalid UTF-8 in `CommandLine.arguments` to U+FFFD without telling anyone. A text
    /// argument holding U+FFFD is checked against the raw argv, so a byte string that is not UTF-8 is
    /// reported instead of being tokenized as replacement characters.
    static func checkArgumentIsUTF8(_ text: String) throws {
        guard text.unicodeScalars.contains("\u{FFFD}") else { return }
        for i in 0..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[i] else { continue }
            let raw = UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))
            guard let bad = UTF8Validation.firstInvalidOffset(raw) else { continue }
            if String(decoding: raw, as: UTF8.self) == text {
                throw TokenizerError.invalidUTF8(source: "the TEXT argument", offset: bad)
            }
        }
    }

    /// Reads JSON lines from stdin, calling `body` with each line's object; errors name the line.
    static func forEachJSONLine(_ context: CommandContext, _ body: (Int, JSONObject) throws -> Void) throws {
        let reader = LineReader(source: context.stdin)
        while let parsed = try reader.nextLine({ line -> Result<JSONValue, any Error> in
            do { return .success(try JSONParser.parse(line)) } catch { return .failure(error) }
        }) {
            let number = reader.lineNumber
            switch parsed {
            case .failure(let error):
                throw CommandFailure("stdin line \(number): not valid JSON (\(error))")
            case .success(let value):
                guard let object = value.objectValue else {
                    throw CommandFailure("stdin line \(number): expected a JSON object, got \(value.typeName)")
                }
                try body(number, object)
            }
        }
    }
}

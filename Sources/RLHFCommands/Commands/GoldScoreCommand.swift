import Foundation
import RLHFCore
import RLHFData

/// `rlhf gold-score`: the demo dataset's gold rule (datasets/README.md) for any text, so people,
/// scripts and later stages (reward model, PPO) measure against the same truth.
struct GoldScoreCommand: Command {
    static let name = "gold-score"
    static let abstract = "The demo dataset's gold score of texts (arguments, or JSON lines with --jsonl)"
    static let usage = """
        rlhf gold-score TEXT... [--explain]
               rlhf gold-score --jsonl [FILE...] [--explain]
        """
    static let options: [OptionSpec] = [
        .flag("--jsonl", "read JSON lines {\"text\"} or {\"prompt\", \"completion\"} from FILEs (default stdin, also -); write {\"score\": x} lines"),
        .flag("--explain", "write each score with its terms: {\"score\", \"positive\", \"negative\", \"repeated\", \"ended\", \"words\"}"),
    ]
    static let positionals = 0...Int.max
    static let discussion = """
        score = positive words - negative words - 2 x repeated words - 2 if not ended
        Words are runs of ASCII letters, lowercased; a repeated word is each occurrence after the first of a
        word that is not a function word; a text is ended when its last non-whitespace character is . ! or ?
        Only the completion is scored: a "prompt" field is read past. The word lists are in datasets/README.md.
        Without --explain a text argument gives a bare number per line; with it, a JSON object per line.
        """

    let texts: [String]
    let files: [String]
    let jsonl: Bool
    let explain: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        jsonl = arguments.flag("--jsonl")
        explain = arguments.flag("--explain")
        if jsonl {
            texts = []
            files = arguments.positionals.isEmpty ? ["-"] : arguments.positionals.map { context.resolve($0) }
        } else {
            guard !arguments.positionals.isEmpty else {
                throw UsageError("rlhf gold-score needs a TEXT argument, or --jsonl to read JSON lines (see rlhf gold-score --help)")
            }
            texts = arguments.positionals
            files = []
        }
    }

    func run(_ context: CommandContext) throws {
        var w = JSONWriter()
        if !jsonl {
            for text in texts {
                if explain {
                    w.reset(); Self.write(GoldScore.breakdown(text), to: &w); w.raw("\n")
                    try context.stdout.write(w.bytes)
                } else {
                    try context.stdout.write("\(GoldScore.score(text))\n")
                }
            }
            return
        }
        for file in files {
            let reader = try DataFile.lineReader(path: file, stdin: context.stdin)
            let name = file == "-" ? "stdin" : file
            while let line = try reader.nextLineBytes() {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let text = try Self.completion(line, at: "\(name):\(reader.lineNumber)")
                w.reset()
                if explain { Self.write(GoldScore.breakdown(text), to: &w) } else { w.raw("{\"score\":"); w.int(GoldScore.score(text)); w.raw("}") }
                w.raw("\n")
                try context.stdout.write(w.bytes)
            }
        }
    }

    /// The text to score from one JSON line: `completion` when present, else `text`.
    static func completion(_ line: [UInt8], at place: String) throws -> String {
        let value: JSONValue
        do { value = try JSONParser.parse(line) } catch {
            throw CommandFailure("\(place): invalid JSON (\(error)); expected {\"text\": ...} or {\"prompt\": ..., \"completion\": ...}")
        }
        guard let object = value.objectValue else { throw CommandFailure("\(place): expected a JSON object, got \(value.typeName)") }
        for key in ["completion", "text"] {
            guard let field = object[key] else { continue }
            guard let text = field.stringValue else { throw CommandFailure("\(place): field \"\(key)\" must be a string, got \(field.typeName)") }
            return text
        }
        throw CommandFailure("\(place): no \"completion\" or \"text\" field to score")
    }

    static func write(_ b: GoldScore.Breakdown, to w: inout JSONWriter) {
        w.raw("{\"score\":"); w.int(b.score)
        w.raw(",\"positive\":"); w.int(b.positive)
        w.raw(",\"negative\":"); w.int(b.negative)
        w.raw(",\"repeated\":"); w.int(b.repeated)
        w.raw(",\"ended\":"); w.bool(b.ended)
        w.raw(",\"words\":"); w.int(b.words)
        w.raw("}")
    }
}

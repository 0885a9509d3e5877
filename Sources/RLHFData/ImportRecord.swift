import RLHFCore

public enum ImportKind: String, CaseIterable, Sendable { case prompts, sft, preferences }
public enum PreferenceFormat: String, CaseIterable, Sendable { case trl, hh }

/// A text with its SHA-256, computed once where the line is parsed.
public struct HashedText: Sendable {
    public let text: String
    public let digest: Digest
    public init(_ text: String) {
        self.text = text
        digest = SHA256.digest(text)
    }
}

/// One input line, parsed, validated and hashed: everything an import does before touching the store,
/// so it can run on another core while the store writes the previous lines.
public enum ImportRecord: Sendable {
    case blank
    case prompt(HashedText, metadata: String?)
    case sft(prompt: HashedText, completion: HashedText)
    case preference(prompt: HashedText, chosen: HashedText, rejected: HashedText, margin: Double?, meta: PreferenceMeta?)

    /// Parses one line of a JSONL file. Throws `RecordError` naming what is wrong.
    public static func parse(_ line: UnsafeRawBufferPointer, kind: ImportKind, format: PreferenceFormat?) throws(RecordError) -> ImportRecord {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .blank }
        let value: JSONValue
        do { value = try JSONParser.parse(line) } catch {
            throw RecordError("invalid JSON at column \(error.column): \(error.message)")
        }
        guard let object = value.objectValue else { throw RecordError("expected a JSON object, got \(value.typeName)") }
        switch kind {
        case .prompts:
            let record = try TRLFormat.parsePrompt(object)
            return .prompt(HashedText(record.prompt), metadata: record.metadata?.text)
        case .sft:
            let record = try TRLFormat.parseSFT(object)
            return .sft(prompt: HashedText(record.prompt), completion: HashedText(record.completion))
        case .preferences:
            let record: PreferenceRecord
            switch format ?? (object["prompt"] != nil ? .trl : .hh) {
            case .trl: record = try TRLFormat.parsePreference(object)
            case .hh: record = try HHFormat.parse(object)
            }
            let prompt = HashedText(record.prompt), chosen = HashedText(record.chosen), rejected = HashedText(record.rejected)
            if chosen.digest == rejected.digest {
                throw RecordError("chosen and rejected are the same text, so there is no preference to store")
            }
            if let meta = record.meta {
                for (key, expected, text) in [("prompt", meta.promptSHA256, prompt), ("chosen", meta.chosenSHA256, chosen),
                                              ("rejected", meta.rejectedSHA256, rejected)] {
                    if let expected, expected != text.digest.hex {
                        throw RecordError("field \"meta\".\"\(key)_sha256\" does not match the \(key) text (edited after export? remove meta to import it as new data)")
                    }
                }
            }
            return .preference(prompt: prompt, chosen: chosen, rejected: rejected, margin: record.margin, meta: record.meta)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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

    /// A text whose digest was computed before (the import pipeline carries both): the caller
    /// vouches that `precomputedDigest` is the SHA-256 of `text`.
    public init(text: String, precomputedDigest: Digest) {
        self.text = text
        self.digest = precomputedDigest
    }
}

/// Digests of the prompts an import has already hashed: preference files repeat a prompt once per
/// pair (twenty times in `rlhf bench store`, several times in multi-reply datasets), and a prompt
/// costs a SHA-256 block per 64 bytes. Keys compare bytes, not Swift's canonical equivalence (two
/// canonically equivalent but different texts are two prompts). Forgets everything once it holds
/// `byteLimit` bytes of text. One per import, used by one thread.
public final class PromptDigestCache {
    struct Key: Hashable {
        let text: String
        static func == (a: Key, b: Key) -> Bool {
            var x = a.text, y = b.text
            return x.withUTF8 { p in y.withUTF8 { q in p.count == q.count && (p.count == 0 || memcmp(p.baseAddress!, q.baseAddress!, p.count) == 0) } }
        }
        func hash(into hasher: inout Hasher) {
            var x = text
            x.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    private var digests: [Key: Digest] = [:]
    private var bytes = 0
    let byteLimit: Int

    public init(byteLimit: Int = 32 << 20) { self.byteLimit = byteLimit }

    public func hashed(_ text: String) -> HashedText {
        let key = Key(text: text)
        if let digest = digests[key] { return HashedText(text: text, precomputedDigest: digest) }
        let hashed = HashedText(text)
        bytes += text.utf8.count
        if bytes > byteLimit {
            digests.removeAll(keepingCapacity: true)
            bytes = text.utf8.count
        }
        digests[key] = hashed.digest
        return hashed
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
    public static func parse(_ line: UnsafeRawBufferPointer, kind: ImportKind, format: PreferenceFormat?,
                             promptCache: PromptDigestCache? = nil) throws(RecordError) -> ImportRecord {
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
            let prompt = promptCache?.hashed(record.prompt) ?? HashedText(record.prompt)
            let chosen = HashedText(record.chosen), rejected = HashedText(record.rejected)
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

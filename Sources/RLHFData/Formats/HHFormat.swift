import RLHFCore

/// Anthropic HH-RLHF records: `{"chosen": "\n\nHuman: ...\n\nAssistant: ...", "rejected": ...}`.
/// The prompt is the longest common prefix of the two strings cut back to end with its last
/// "\n\nAssistant:"; the replies are what follows in each. (Splitting each string at its own last
/// "\n\nAssistant:" is wrong for replies that themselves contain that text: 5 lines of the
/// harmless-base test file.) Works on UTF-8 bytes: Swift's String comparison would merge canonically
/// equivalent but different texts.
public enum HHFormat {
    static let cue = Array(ConversationTemplate.assistantCue.utf8)

    public static func split(chosen: String, rejected: String) throws(RecordError) -> (prompt: String, chosen: String, rejected: String) {
        let a = Array(chosen.utf8), b = Array(rejected.utf8)
        var common = 0
        let limit = min(a.count, b.count)
        while common < limit && a[common] == b[common] { common += 1 }
        guard let end = lastCue(in: a, before: common) else {
            throw RecordError("chosen and rejected share no \"\\n\\nAssistant:\" turn, so the prompt cannot be found (the HH format needs both to repeat the dialogue up to the final assistant turn)")
        }
        return (String(decoding: a[..<end], as: UTF8.self), String(decoding: a[end...], as: UTF8.self),
                String(decoding: b[end...], as: UTF8.self))
    }

    /// The index just past the last occurrence of the cue that ends at or before `limit`.
    static func lastCue(in bytes: [UInt8], before limit: Int) -> Int? {
        var end = limit
        while end >= cue.count {
            if bytes[(end - cue.count)..<end].elementsEqual(cue) { return end }
            end -= 1
        }
        return nil
    }

    public static func parse(_ object: JSONObject) throws(RecordError) -> PreferenceRecord {
        let f = FieldReader(object: object)
        let chosenText = try f.string("chosen")
        let rejectedText = try f.string("rejected")
        let meta = try PreferenceMetaCodec.parse(f.optionalObject("meta"))
        let parts: (prompt: String, chosen: String, rejected: String)
        if let n = meta?.promptBytes {
            // Our own HH export says where the prompt ends; both strings must share it.
            let a = Array(chosenText.utf8), b = Array(rejectedText.utf8)
            guard n <= a.count, n <= b.count, a[..<n].elementsEqual(b[..<n]) else {
                throw RecordError("field \"meta\".\"prompt_bytes\": \(n) is not a prefix shared by chosen and rejected")
            }
            parts = (String(decoding: a[..<n], as: UTF8.self), String(decoding: a[n...], as: UTF8.self),
                     String(decoding: b[n...], as: UTF8.self))
        } else {
            parts = try split(chosen: chosenText, rejected: rejectedText)
        }
        return PreferenceRecord(prompt: parts.prompt, chosen: parts.chosen, rejected: parts.rejected, meta: meta)
    }
}

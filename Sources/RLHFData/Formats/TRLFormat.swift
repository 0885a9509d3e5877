import RLHFCore

/// TRL's formats (also what OpenRLHF reads with `--prompt_key prompt --chosen_key chosen
/// --rejected_key rejected`): standard `{"prompt", "chosen", "rejected"}` strings with an optional
/// `margin`, or conversational, with lists of `{"role", "content"}` messages either with an explicit
/// `prompt` list or with the prompt implicit in `chosen`/`rejected` as their shared leading messages.
/// Conversations go through `ConversationTemplate`. Unknown keys are ignored; `meta` is ours.
public enum TRLFormat {
    public static func parsePreference(_ object: JSONObject) throws(RecordError) -> PreferenceRecord {
        let f = FieldReader(object: object)
        let meta = try PreferenceMetaCodec.parse(f.optionalObject("meta"))
        let margin = try f.optionalNumber("margin")
        let chosenValue = try f.requiredValue("chosen")
        let rejectedValue = try f.requiredValue("rejected")
        var record: PreferenceRecord
        if let promptValue = object["prompt"] {
            if let prompt = promptValue.stringValue {
                guard let chosen = chosenValue.stringValue else {
                    throw RecordError("field \"chosen\": expected a string (the prompt is a string), got \(chosenValue.typeName)")
                }
                guard let rejected = rejectedValue.stringValue else {
                    throw RecordError("field \"rejected\": expected a string (the prompt is a string), got \(rejectedValue.typeName)")
                }
                record = PreferenceRecord(prompt: prompt, chosen: chosen, rejected: rejected)
            } else if promptValue.arrayValue != nil {
                let prompt = try ConversationTemplate.messages(promptValue, field: "prompt")
                guard !prompt.isEmpty else { throw RecordError("field \"prompt\": empty list of messages") }
                let chosen = try ConversationTemplate.messages(chosenValue, field: "chosen")
                let rejected = try ConversationTemplate.messages(rejectedValue, field: "rejected")
                record = PreferenceRecord(prompt: ConversationTemplate.prompt(prompt),
                                          chosen: try ConversationTemplate.reply(chosen, field: "chosen"),
                                          rejected: try ConversationTemplate.reply(rejected, field: "rejected"))
            } else {
                throw RecordError("field \"prompt\": expected a string or a list of messages, got \(promptValue.typeName)")
            }
        } else if chosenValue.arrayValue != nil {
            record = try implicitPrompt(chosenValue, rejectedValue)
        } else {
            throw RecordError("missing field \"prompt\" (for Anthropic HH-style records whose prompt is inside chosen and rejected, use --format hh)")
        }
        if record.prompt.isBlank { throw RecordError("field \"prompt\": the prompt is empty") }
        record.margin = margin
        record.meta = meta
        return record
    }

    /// Conversations whose shared leading messages are the prompt (TRL's "implicit prompt").
    static func implicitPrompt(_ chosenValue: JSONValue, _ rejectedValue: JSONValue) throws(RecordError) -> PreferenceRecord {
        let chosen = try ConversationTemplate.messages(chosenValue, field: "chosen")
        let rejected = try ConversationTemplate.messages(rejectedValue, field: "rejected")
        var shared = 0
        while shared < min(chosen.count, rejected.count) && chosen[shared] == rejected[shared] { shared += 1 }
        // The prompt ends where both go on with an assistant message.
        while shared > 0 && !(shared < chosen.count && shared < rejected.count
                              && chosen[shared].role == "assistant" && rejected[shared].role == "assistant") {
            shared -= 1
        }
        guard shared > 0 else {
            throw RecordError("field \"chosen\": no shared leading messages followed by an assistant reply, so the prompt cannot be found (give a \"prompt\" field)")
        }
        return PreferenceRecord(prompt: ConversationTemplate.prompt(Array(chosen[..<shared])),
                                chosen: try ConversationTemplate.reply(Array(chosen[shared...]), field: "chosen"),
                                rejected: try ConversationTemplate.reply(Array(rejected[shared...]), field: "rejected"))
    }

    public static func parsePrompt(_ object: JSONObject) throws(RecordError) -> PromptRecord {
        let f = FieldReader(object: object)
        let value = try f.requiredValue("prompt")
        let text: String
        if let s = value.stringValue {
            text = s
        } else if value.arrayValue != nil {
            text = ConversationTemplate.prompt(try ConversationTemplate.messages(value, field: "prompt"))
        } else {
            throw RecordError("field \"prompt\": expected a string or a list of messages, got \(value.typeName)")
        }
        if text.isBlank { throw RecordError("field \"prompt\": the prompt is empty") }
        let meta = try f.optionalObject("meta")
        return PromptRecord(prompt: text, metadata: meta.map { JSONObjectText(validated: JSONWriter.encode(.object($0))) })
    }

    public static func parseSFT(_ object: JSONObject) throws(RecordError) -> SFTRecord {
        let f = FieldReader(object: object)
        let promptValue = try f.requiredValue("prompt")
        let completionValue = try f.requiredValue("completion")
        let record: SFTRecord
        if let p = promptValue.stringValue {
            guard let c = completionValue.stringValue else {
                throw RecordError("field \"completion\": expected a string (the prompt is a string), got \(completionValue.typeName)")
            }
            record = SFTRecord(prompt: p, completion: c)
        } else if promptValue.arrayValue != nil {
            let prompt = try ConversationTemplate.messages(promptValue, field: "prompt")
            let completion = try ConversationTemplate.messages(completionValue, field: "completion")
            record = SFTRecord(prompt: ConversationTemplate.prompt(prompt),
                               completion: try ConversationTemplate.reply(completion, field: "completion"))
        } else {
            throw RecordError("field \"prompt\": expected a string or a list of messages, got \(promptValue.typeName)")
        }
        if record.prompt.isBlank { throw RecordError("field \"prompt\": the prompt is empty") }
        return record
    }
}

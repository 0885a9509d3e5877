import RLHFCore

/// The one fixed template that turns TRL's conversational records (lists of `{"role", "content"}`
/// messages) into stored text, the Anthropic HH-RLHF way: each message is "\n\n" + speaker + ": " +
/// content, with speakers System, Human (role "user") and Assistant. A prompt ends with
/// "\n\nAssistant:" and its reply starts with " ", so prompt + reply reads as one HH dialogue. Stored
/// text is already templated; nothing downstream applies a second template.
public enum ConversationTemplate {
    public struct Message: Equatable, Sendable {
        public var role: String
        public var content: String
    }

    static let speakers = ["system": "System", "user": "Human", "assistant": "Assistant"]
    public static let assistantCue = "\n\nAssistant:"

    static func messages(_ value: JSONValue, field: String) throws(RecordError) -> [Message] {
        guard let array = value.arrayValue else { throw RecordError("field \"\(field)\": expected a string or a list of messages, got \(value.typeName)") }
        var result: [Message] = []
        for (i, item) in array.enumerated() {
            guard let o = item.objectValue else {
                throw RecordError("field \"\(field)\"[\(i)]: expected a {\"role\", \"content\"} object, got \(item.typeName)")
            }
            guard let role = o["role"]?.stringValue else { throw RecordError("field \"\(field)\"[\(i)]: missing string \"role\"") }
            guard speakers[role] != nil else {
                throw RecordError("field \"\(field)\"[\(i)]: role \"\(role)\" is not one of \"system\", \"user\", \"assistant\"")
            }
            guard let content = o["content"]?.stringValue else { throw RecordError("field \"\(field)\"[\(i)]: missing string \"content\"") }
            result.append(Message(role: role, content: content))
        }
        return result
    }

    public static func render(_ messages: [Message]) -> String {
        messages.map { "\n\n" + speakers[$0.role]! + ": " + $0.content }.joined()
    }

    /// The prompt for a conversation that the assistant answers next.
    public static func prompt(_ messages: [Message]) -> String { render(messages) + assistantCue }

    /// A reply: the first message is the assistant's (its cue is already in the prompt).
    static func reply(_ messages: [Message], field: String) throws(RecordError) -> String {
        guard let first = messages.first else { throw RecordError("field \"\(field)\": empty list of messages") }
        guard first.role == "assistant" else {
            throw RecordError("field \"\(field)\": a reply must start with an assistant message, got role \"\(first.role)\"")
        }
        return " " + first.content + render(Array(messages.dropFirst()))
    }
}

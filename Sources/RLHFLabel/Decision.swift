import Foundation
import RLHFData

/// One annotator decision, as a key on screen or a line in scripted mode. `a` and `b` are the
/// completions shown first and second; they become `first`/`second` (by id) only when saved.
public enum Decision: Equatable, Sendable {
    case choose(shownFirst: Bool, strength: Strength?)
    case tie(TieKind)
    case skip
    case undo
    case back
    case quit

    /// The scripted-mode grammar: `a`, `b` (optionally `:1`/`:2`/`:3`), `tie`, `tie:both-good`,
    /// `tie:both-bad`, `skip`, `undo`, `back`, `quit`. Surrounding whitespace is ignored.
    public static func parse(_ line: String) -> Decision? {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "a", "b":
            let strength: Strength?
            switch parts.count {
            case 1: strength = nil
            case 2:
                guard let n = Int(parts[1]), let s = Strength(rawValue: n) else { return nil }
                strength = s
            default: return nil
            }
            return .choose(shownFirst: parts[0] == "a", strength: strength)
        case "tie":
            switch parts.count {
            case 1: return .tie(.plain)
            case 2:
                guard parts[1] != "plain", let kind = TieKind(rawValue: parts[1]) else { return nil }
                return .tie(kind)
            default: return nil
            }
        case "skip" where parts.count == 1: return .skip
        case "undo" where parts.count == 1: return .undo
        case "back" where parts.count == 1: return .back
        case "quit" where parts.count == 1: return .quit
        default: return nil
        }
    }

    public static let grammar = "a, b (either with :1, :2 or :3 for strength), tie, tie:both-good, tie:both-bad, skip, undo, back, quit"
}

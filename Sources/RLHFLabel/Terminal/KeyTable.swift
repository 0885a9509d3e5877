import RLHFData

/// What a key does on the labeling screen.
public enum ScreenAction: Equatable, Sendable {
    case decide(Decision)
    case rationale, help, scrollUp, scrollDown, pageUp, pageDown
}

/// The one table of keys: the screen dispatches through it and the help and status line are written
/// from it, so what they say is what the code does (a test checks).
public enum KeyTable {
    public struct Entry: Sendable {
        public let keys: [Key]
        public let label: String
        public let action: ScreenAction
        public let help: String
    }

    public static let entries: [Entry] = [
        Entry(keys: [.character("1"), .character("a")], label: "1/a", action: .decide(.choose(shownFirst: true, strength: nil)), help: "A (shown first) is better"),
        Entry(keys: [.character("2"), .character("b")], label: "2/b", action: .decide(.choose(shownFirst: false, strength: nil)), help: "B (shown second) is better"),
        Entry(keys: [.character("A")], label: "A", action: .decide(.choose(shownFirst: true, strength: .strong)), help: "A is much better (strong)"),
        Entry(keys: [.character("B")], label: "B", action: .decide(.choose(shownFirst: false, strength: .strong)), help: "B is much better (strong)"),
        Entry(keys: [.character("t")], label: "t", action: .decide(.tie(.plain)), help: "tie"),
        Entry(keys: [.character("g")], label: "g", action: .decide(.tie(.bothGood)), help: "tie: both good"),
        Entry(keys: [.character("x")], label: "x", action: .decide(.tie(.bothBad)), help: "tie: both bad"),
        Entry(keys: [.character("s")], label: "s", action: .decide(.skip), help: "skip (not offered to you again)"),
        Entry(keys: [.character("u")], label: "u", action: .decide(.undo), help: "undo your last label"),
        Entry(keys: [.character("p")], label: "p", action: .decide(.back), help: "back to the previous pair (judging it replaces the old label)"),
        Entry(keys: [.character("r")], label: "r", action: .rationale, help: "write a one-line rationale for this pair's label"),
        Entry(keys: [.character("?")], label: "?", action: .help, help: "help and guidelines"),
        Entry(keys: [.character("q"), .controlC], label: "q", action: .decide(.quit), help: "quit (your pair stays claimed for you)"),
        Entry(keys: [.up, .character("k")], label: "↑/k", action: .scrollUp, help: "scroll up"),
        Entry(keys: [.down, .character("j")], label: "↓/j", action: .scrollDown, help: "scroll down"),
        Entry(keys: [.pageUp], label: "PgUp", action: .pageUp, help: "page up"),
        Entry(keys: [.pageDown, .character(" ")], label: "PgDn/space", action: .pageDown, help: "page down"),
    ]

    /// Right after a choice is saved, a digit sets that label's strength (it is superseded by a copy
    /// with the strength): 1 slight, 2 clear, 3 strong. Any other key closes that chance.
    public static let strengthHelp = "1-3 right after a choice: set its strength (slight, clear, strong)"

    public static func action(for key: Key) -> ScreenAction? {
        entries.first { $0.keys.contains(key) }?.action
    }

    /// The help screen's lines, generated from the table.
    public static var helpLines: [String] {
        entries.map { $0.label.padding(toLength: 12, withPad: " ", startingAt: 0) + $0.help } + [strengthHelp]
    }

    /// The compact key reminder on the status line.
    public static let statusHint = "1/a 2/b A B t g x s u p r ? q"
}

extension String {
    func padding(toLength length: Int, withPad pad: String, startingAt: Int) -> String {
        count >= length ? self : self + String(repeating: pad, count: length - count)
    }
}

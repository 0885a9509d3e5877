/// One screenful: `rows` lines of styled spans, each at most `columns` cells wide. The labeling
/// screen renders into a Frame; a terminal device writes it out (with or without colours), and the
/// in-memory terminal keeps it for tests and the benchmark.
public struct Frame: Equatable, Sendable {
    public enum Style: Equatable, Sendable {
        case plain, bold, dim, reverse, first, second, escape, error
    }

    public struct Span: Equatable, Sendable {
        public var text: String
        public var style: Style
    }

    public let columns: Int
    public let rows: Int
    public var lines: [[Span]]

    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
        lines = Array(repeating: [], count: rows)
    }

    /// The screen as plain text, one string per row (what a user would read).
    public var plainLines: [String] { lines.map { $0.map(\.text).joined() } }

    /// Terminal bytes for the whole frame: home, then each row cleared and drawn. Colours only when
    /// asked (NO_COLOR unset and output a terminal).
    public func ansi(color: Bool) -> String {
        var out = "\u{1B}[H"
        for (i, line) in lines.enumerated() {
            out += "\u{1B}[2K"
            for span in line {
                if color, let sgr = Frame.sgr(span.style) { out += "\u{1B}[\(sgr)m" + span.text + "\u{1B}[0m" } else { out += span.text }
            }
            if i < lines.count - 1 { out += "\r\n" }
        }
        return out
    }

    static func sgr(_ style: Style) -> String? {
        switch style {
        case .plain: return nil
        case .bold: return "1"
        case .dim: return "2"
        case .reverse: return "7"
        case .first: return "1;36"
        case .second: return "1;35"
        case .escape: return "2;33"
        case .error: return "1;31"
        }
    }
}

/// Builds one frame line from pieces, never wider than the frame.
struct LineBuilder {
    let columns: Int
    private(set) var spans: [Frame.Span] = []
    private(set) var width = 0

    init(columns: Int) { self.columns = columns }

    mutating func add(_ text: String, _ style: Frame.Style = .plain) {
        for piece in DisplayText.pieces(text) where !piece.isNewline { add(piece, style) }
    }

    mutating func add(_ piece: DisplayText.Piece, _ style: Frame.Style = .plain) {
        guard width + piece.width <= columns else { return }
        let s: Frame.Style = piece.isEscape ? .escape : style
        if let last = spans.last, last.style == s { spans[spans.count - 1].text += piece.text } else { spans.append(Frame.Span(text: piece.text, style: s)) }
        width += piece.width
    }

    mutating func pad(to target: Int) {
        if target > width { add(String(repeating: " ", count: min(target, columns) - width)) }
    }
}

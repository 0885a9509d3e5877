import Foundation

/// What the status line reports.
public struct StatusInfo: Sendable, Equatable {
    public var labeled = 0
    public var left = 0
    public var perMinute: Double = 0
    public var note = ""
    public var noteIsError = false
}

/// Lays out the labeling screen: prompt and the two completions (side by side when the terminal is
/// wide enough, stacked otherwise), wrapped by display width and scrollable, a message line and a
/// status line. Pure: the same inputs give the same frame.
public enum LabelScreen {
    /// Side by side needs two readable columns.
    public static let sideBySideMinimum = 90

    /// All body lines (before scrolling) for a pair at a given width.
    static func body(_ offered: OfferedPair, columns: Int) -> [[Frame.Span]] {
        var lines: [[Frame.Span]] = []
        func header(_ text: String, _ style: Frame.Style) {
            var b = LineBuilder(columns: columns)
            b.add(text, style)
            lines.append(b.spans)
        }
        func text(_ pieces: [[DisplayText.Piece]], indent: Int, into target: inout [[Frame.Span]]) {
            for line in pieces {
                var b = LineBuilder(columns: columns)
                b.add(String(repeating: " ", count: indent))
                for p in line { b.add(p) }
                target.append(b.spans)
            }
        }
        header(offered.isRevisit ? "Prompt (going back: judging again replaces your earlier label)" : "Prompt", .bold)
        text(DisplayText.wrap(offered.prompt, width: max(1, columns - 2)), indent: 2, into: &lines)
        lines.append([])
        if columns >= sideBySideMinimum {
            let gutter = 3
            let width = (columns - gutter) / 2
            let a = DisplayText.wrap(offered.shownTexts[0], width: max(1, width - 1))
            let b = DisplayText.wrap(offered.shownTexts[1], width: max(1, width - 1))
            var head = LineBuilder(columns: columns)
            head.add("A", .first); head.pad(to: width); head.add(" │ "); head.add("B", .second)
            lines.append(head.spans)
            for i in 0..<max(a.count, b.count) {
                var line = LineBuilder(columns: columns)
                if i < a.count { for p in a[i] { line.add(p) } }
                line.pad(to: width)
                line.add(" │ ", .dim)
                if i < b.count { for p in b[i] { line.add(p) } }
                lines.append(line.spans)
            }
        } else {
            header("A", .first)
            text(DisplayText.wrap(offered.shownTexts[0], width: max(1, columns - 2)), indent: 2, into: &lines)
            lines.append([])
            header("B", .second)
            text(DisplayText.wrap(offered.shownTexts[1], width: max(1, columns - 2)), indent: 2, into: &lines)
        }
        return lines
    }

    /// The whole frame. `scroll` is clamped to the body; the clamped value is returned.
    public static func render(_ offered: OfferedPair?, columns: Int, rows: Int, scroll: Int, status: StatusInfo,
                              message: String? = nil, overlay: [String]? = nil) -> (frame: Frame, scroll: Int) {
        var frame = Frame(columns: columns, rows: rows)
        let bodyRows = max(0, rows - 2)
        var body: [[Frame.Span]]
        if let overlay {
            body = overlay.map { line in var b = LineBuilder(columns: columns); b.add(line); return b.spans }
        } else if let offered {
            body = self.body(offered, columns: columns)
        } else {
            body = [[Frame.Span(text: "No pair to label.", style: .bold)]]
        }
        let maxScroll = max(0, body.count - bodyRows)
        let top = min(max(0, scroll), maxScroll)
        for i in 0..<bodyRows where top + i < body.count { frame.lines[i] = body[top + i] }
        if rows >= 2 {
            var m = LineBuilder(columns: columns)
            if let message { m.add(message, status.noteIsError ? .error : .plain) } else if maxScroll > 0 {
                m.add("lines \(top + 1)-\(min(body.count, top + bodyRows)) of \(body.count) (↑/↓ to scroll)", .dim)
            }
            frame.lines[rows - 2] = m.spans
        }
        if rows >= 1 { frame.lines[rows - 1] = statusLine(status, columns: columns) }
        return (frame, top)
    }

    static func statusLine(_ s: StatusInfo, columns: Int) -> [Frame.Span] {
        var parts = ["\(s.labeled) labeled", "\(s.left) left", String(format: "%.1f/min", s.perMinute)]
        if s.perMinute > 0 && s.left > 0 { parts.append("ETA " + eta(minutes: Double(s.left) / s.perMinute)) }
        if !s.note.isEmpty { parts.append(s.note) }
        parts.append(KeyTable.statusHint)
        var b = LineBuilder(columns: columns)
        b.add(" " + parts.joined(separator: " · "), .reverse)
        b.pad(to: columns)
        return b.spans.map { Frame.Span(text: $0.text, style: .reverse) }
    }

    static func eta(minutes: Double) -> String {
        let total = Int(minutes.rounded())
        return total >= 60 ? "\(total / 60)h\(String(format: "%02d", total % 60))m" : "\(max(1, total))m"
    }
}

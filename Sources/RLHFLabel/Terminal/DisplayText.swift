#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libc's wcwidth (not exported by the Glibc module; POSIX, in every libc).
@_silgen_name("wcwidth") func c_wcwidth(_ c: Int32) -> Int32

/// Text as it may be shown on a terminal: never executed. Prompts and completions are stored
/// byte-exact, so they may hold escape sequences, control characters or bidi overrides that would move
/// the cursor, change colours or retitle the terminal; those are drawn as visible escapes instead
/// (`\x1b`, `␀`), and widths come from `wcwidth` per grapheme cluster (CJK and emoji take two cells,
/// combining marks none), so columns line up.
public enum DisplayText {
    /// Glibc's wcwidth answers only in a UTF-8 locale; ask for one once (C.UTF-8 ships with glibc).
    private static let localeReady: Bool = {
        if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "en_US.UTF-8") }
        return true
    }()

    /// One visible piece of a text: a grapheme cluster or an escape, with its width in cells.
    public struct Piece: Equatable, Sendable {
        public let text: String
        public let width: Int
        /// True for a visible escape standing in for a control character (drawn dimmed).
        public let isEscape: Bool
        public let isNewline: Bool
    }

    /// The pieces of `text` in order. Newlines are kept as line breaks, tabs become spaces up to 4.
    public static func pieces(_ text: String) -> [Piece] {
        _ = localeReady
        var result: [Piece] = []
        result.reserveCapacity(text.unicodeScalars.count)
        for cluster in text {
            let scalars = cluster.unicodeScalars
            if cluster == "\n" {
                result.append(Piece(text: "", width: 0, isEscape: false, isNewline: true))
                continue
            }
            if cluster == "\r\n" {
                result.append(escape("\\r"))
                result.append(Piece(text: "", width: 0, isEscape: false, isNewline: true))
                continue
            }
            if cluster == "\t" {
                result.append(Piece(text: "    ", width: 4, isEscape: false, isNewline: false))
                continue
            }
            // A cluster holding any non-printing scalar is drawn scalar by scalar, escapes included.
            if scalars.contains(where: needsEscape) {
                for scalar in scalars {
                    if needsEscape(scalar) { result.append(escape(visibleEscape(scalar))) } else {
                        let w = max(0, Int(c_wcwidth(Int32(bitPattern: scalar.value))))
                        result.append(Piece(text: String(scalar), width: w, isEscape: false, isNewline: false))
                    }
                }
                continue
            }
            result.append(Piece(text: String(cluster), width: width(of: cluster), isEscape: false, isNewline: false))
        }
        return result
    }

    static func escape(_ text: String) -> Piece { Piece(text: text, width: text.unicodeScalars.count, isEscape: true, isNewline: false) }

    /// Cells a grapheme cluster takes: its first scalar's width, two for emoji presentation (U+FE0F)
    /// and for emoji sequences joined with ZWJ; combining marks add nothing.
    public static func width(of cluster: Character) -> Int {
        _ = localeReady
        let scalars = Array(cluster.unicodeScalars)
        guard let first = scalars.first else { return 0 }
        var w = Int(c_wcwidth(Int32(bitPattern: first.value)))
        if w < 0 { w = 1 }
        if scalars.count > 1 && (scalars.contains { $0.value == 0xFE0F || $0.value == 0x200D } || first.properties.isEmojiPresentation) {
            w = 2
        }
        return w
    }

    public static func width(_ text: String) -> Int { pieces(text).reduce(0) { $0 + $1.width } }

    /// Control characters (C0, DEL, C1), and format characters that reorder or hide text on screen
    /// (bidi overrides and isolates, zero-width joiners outside emoji are kept).
    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) { return true }
        if (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F || v == 0x061C { return true }
        if v == 0xFEFF || (0xFFF9...0xFFFB).contains(v) { return true }
        return false
    }

    /// NUL as ␀ (what the issue asks); ESC as \x1b; other controls as \xNN (C0, DEL) or \u{NNNN}.
    static func visibleEscape(_ s: Unicode.Scalar) -> String {
        let v = s.value
        if v == 0 { return "␀" }
        if v == 0x0D { return "\\r" }
        if v < 0x100 {
            let hex = String(v, radix: 16)
            return "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
        return "\\u{" + String(v, radix: 16) + "}"
    }

    /// Wraps text into lines of at most `width` cells: at spaces when a word fits, else mid-word.
    public static func wrap(_ text: String, width: Int) -> [[Piece]] {
        precondition(width > 0)
        var lines: [[Piece]] = [[]]
        var lineWidth = 0
        var wordStart: Int? = nil   // index in the current line where the current word began
        for piece in pieces(text) {
            if piece.isNewline {
                lines.append([])
                lineWidth = 0
                wordStart = nil
                continue
            }
            if piece.width > width { continue }   // cannot be shown in so narrow a column
            if lineWidth + piece.width > width {
                // Move the unfinished word to the next line when it can fit there whole.
                var carried: [Piece] = []
                if let start = wordStart, start > 0, piece.text != " " {
                    carried = Array(lines[lines.count - 1][start...])
                    lines[lines.count - 1].removeSubrange(start...)
                    if carried.reduce(0, { $0 + $1.width }) + piece.width > width { lines[lines.count - 1] += carried; carried = [] }
                }
                lines.append(carried)
                lineWidth = carried.reduce(0) { $0 + $1.width }
                wordStart = carried.isEmpty ? nil : 0
                if piece.text == " " { continue }   // no space at the start of a wrapped line
            }
            // Wide (CJK) characters are words of their own: lines may break between any two.
            if piece.text == " " || piece.width > 1 { wordStart = nil } else if wordStart == nil { wordStart = lines[lines.count - 1].count }
            lines[lines.count - 1].append(piece)
            lineWidth += piece.width
        }
        // A space where a line was broken is not shown.
        return lines.map { line in
            var l = line
            while l.last?.text == " " { l.removeLast() }
            return l
        }
    }
}

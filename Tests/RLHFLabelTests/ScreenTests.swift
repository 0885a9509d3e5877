import Foundation
import Testing
import RLHFCore
import RLHFData
@testable import RLHFLabel
import RLHFStore
import RLHFTestSupport

/// The screen in memory: keys through the one key table, frames read back as text.
@Suite struct ScreenTests {
    func run(_ t: TemporaryStore, keys: [[Key]], columns: Int = 120, rows: Int = 40,
             guidelines: String? = nil) throws -> (VirtualTerminal, Int) {
        let device = VirtualTerminal(columns: columns, rows: rows, keys: keys)
        let s = try session(t, "ann", clock: ManualClock())
        let saved = try InteractiveLabeling(session: s, device: device, guidelines: guidelines, clock: ManualClock()).run()
        return (device, saved)
    }

    @Test func helpAndStatusLineMatchTheKeyTable() throws {
        let t = try labelingStore(prompts: 2, completions: 2)
        let (device, _) = try run(t, keys: [[.character("?")]], guidelines: "Prefer the kinder reply.")
        let screen = device.screenText.joined(separator: "\n")
        for entry in KeyTable.entries {
            #expect(screen.contains(entry.label) && screen.contains(entry.help), "help lists \(entry.label)")
        }
        #expect(screen.contains(KeyTable.strengthHelp))
        #expect(screen.contains("Prefer the kinder reply."))
        // Every key the status line names is a key the table dispatches.
        for word in KeyTable.statusHint.split(separator: " ") {
            for part in word.split(separator: "/") {
                #expect(KeyTable.action(for: .character(Character(String(part)))) != nil, "status line key \(part)")
            }
        }
        // And every table key dispatches to its own action.
        for entry in KeyTable.entries { for key in entry.keys { #expect(KeyTable.action(for: key) == entry.action) } }
    }

    @Test func eachKeySavesAtOnceAndADigitAmendsStrength() throws {
        let t = try labelingStore(prompts: 4, completions: 2)
        let (device, saved) = try run(t, keys: [[.character("1")], [.character("3")], [.character("B")], [.character("g")], [.character("x")], [.character("q")]])
        #expect(saved == 4)
        var rows: [(String, Int?, String?, Bool)] = []
        try t.store.forEachRow("SELECT winner, strength, tie_kind, superseded_by IS NULL FROM labels ORDER BY id") {
            rows.append(($0.text(0), $0.optionalInt(1), $0.optionalText(2), $0.int(3) == 1))
        }
        // "1" saved with no strength, "3" superseded it with a strong copy; "B" strong; g and x ties.
        #expect(rows.count == 5)
        #expect(rows[0].1 == nil && !rows[0].3)
        #expect(rows[1].1 == 3 && rows[1].3 && rows[1].0 == rows[0].0)
        #expect(rows[2].1 == 3)
        #expect(rows[3].2 == "both-good" && rows[4].2 == "both-bad")
        #expect(device.restoreCount >= 1)
    }

    @Test func aRationaleGoesWithTheNextLabel() throws {
        let t = try labelingStore(prompts: 2, completions: 2)
        _ = try run(t, keys: [[.character("r")], "too rude".map { .character($0) }, [.enter], [.character("b")], [.character("q")]])
        #expect(try t.store.db.scalarText("SELECT rationale FROM labels") == "too rude")
    }

    @Test func sideBySideWhenWideStackedWhenNarrowAndNeverWiderThanTheTerminal() throws {
        let t = try TemporaryStore()
        let path = try t.write("""
            {"prompt": "写一篇关于蓝色水壶的短评，要求不超过五十个字，并提到价格和颜色。", "completion": " 很好用，我喜欢吃红色的苹果。😀👍🏽 Ünïcödé"}
            {"prompt": "写一篇关于蓝色水壶的短评，要求不超过五十个字，并提到价格和颜色。", "completion": " evil \\u001b]0;pwned\\u0007 \\u001b[2J nul \\u0000 bidi \\u202e end"}

            """, to: "sft.jsonl")
        _ = try t.store.importJSONL(try DataFile.lineReader(path: path), file: path, options: ImportOptions(kind: .sft))
        for (columns, sideBySide) in [(120, true), (60, false), (33, false)] {
            let (device, _) = try run(t, keys: [[.character("q")]], columns: columns, rows: 20)
            let frame = try #require(device.lastFrame)
            for line in frame.plainLines { #expect(DisplayText.width(line) <= columns, "\(columns): \(line)") }
            #expect(frame.plainLines.contains { $0.contains("│") } == sideBySide)
            let text = frame.plainLines.joined()
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0 || $0.value == 0x202E }, "no raw control characters reach the screen")
            #expect(text.contains("\\x1b") && text.contains("␀"))
        }
    }

    @Test func resizeRedrawsAtTheNewSize() throws {
        let t = try labelingStore(prompts: 2, completions: 2)
        let device = VirtualTerminal(columns: 120, rows: 30, keys: [[.redraw], [.character("q")]])
        var sizes: [Int] = []
        device.beforeRead = { d in sizes.append(d.lastFrame?.columns ?? 0); d.columns = 50 }
        let s = try session(t, "ann", clock: ManualClock())
        try InteractiveLabeling(session: s, device: device, guidelines: nil, clock: ManualClock()).run()
        #expect(sizes.first == 120)
        #expect(device.frames.contains { $0.columns == 50 })
    }

    @Test func colourOnlyWhenAsked() {
        var frame = Frame(columns: 10, rows: 1)
        frame.lines[0] = [Frame.Span(text: "A", style: .first)]
        #expect(frame.ansi(color: true).contains("\u{1B}[1;36m"))
        #expect(!frame.ansi(color: false).contains("36m"))
    }

    @Test func wrapKeepsWordsAndWidths() {
        let lines = DisplayText.wrap("the blue kettle boils 中文字符 quickly", width: 10)
        for line in lines { #expect(line.reduce(0) { $0 + $1.width } <= 10) }
        #expect(lines.map { $0.map(\.text).joined() } == ["the blue", "kettle", "boils 中文", "字符", "quickly"])
        #expect(DisplayText.width("中") == 2 && DisplayText.width("e\u{301}") == 1 && DisplayText.width("👍🏽") == 2)
    }
}

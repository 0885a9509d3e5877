import Foundation
import Testing
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport

/// Every malformed line aborts its file with FILE:LINE: reason and leaves the store exactly as it was.
@Suite struct ImportValidationTests {
    static let good1 = trl("Write a review of the kettle:", " Lovely.", " Awful.")
    static let good2 = trl("Write a review of the mug:", " Fine.", " Broke.")

    /// (name, third line as bytes, kind, what the message must say)
    static let cases: [(String, [UInt8], ImportKind, String)] = [
        ("invalid JSON", Array(#"{"prompt": "x", "chosen": "a", "rejected": }"#.utf8), .preferences, "invalid JSON at column"),
        ("invalid UTF-8", Array(#"{"prompt": "x"#.utf8) + [0xC3, 0x28] + Array(#"", "chosen": "a", "rejected": "b"}"#.utf8), .preferences, "invalid UTF-8"),
        ("lone surrogate", Array(#"{"prompt": "x\ud800", "chosen": "a", "rejected": "b"}"#.utf8), .preferences, "lone surrogate"),
        ("duplicate key", Array(#"{"prompt": "x", "chosen": "a", "chosen": "c", "rejected": "b"}"#.utf8), .preferences, "duplicate key \"chosen\""),
        ("deep nesting", Array((#"{"prompt": "x", "chosen": "a", "rejected": "b", "meta": {"id": "1", "deep": "# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}}").utf8), .preferences, "nesting deeper than 64 levels"),
        ("meta not an object", Array(#"{"prompt": "x", "chosen": "a", "rejected": "b", "meta": [1]}"#.utf8), .preferences, "field \"meta\": expected an object, got array"),
        ("missing field", Array(#"{"prompt": "x", "chosen": "a"}"#.utf8), .preferences, "missing field \"rejected\""),
        ("wrong type", Array(#"{"prompt": "x", "chosen": 3, "rejected": "b"}"#.utf8), .preferences, "field \"chosen\": expected a string"),
        ("margin wrong type", Array(#"{"prompt": "x", "chosen": "a", "rejected": "b", "margin": "big"}"#.utf8), .preferences, "field \"margin\": expected a number"),
        ("empty prompt", Array(#"{"prompt": "", "chosen": "a", "rejected": "b"}"#.utf8), .preferences, "the prompt is empty"),
        ("chosen equals rejected", Array(#"{"prompt": "x", "chosen": "same", "rejected": "same"}"#.utf8), .preferences, "same text"),
        ("meta strength out of range", Array(#"{"prompt": "x", "chosen": "a", "rejected": "b", "meta": {"strength": 7}}"#.utf8), .preferences, "field \"meta\".\"strength\""),
        ("not an object", Array(#"["prompt"]"#.utf8), .preferences, "expected a JSON object, got array"),
        ("empty prompt (prompts)", Array(#"{"prompt": "   "}"#.utf8), .prompts, "the prompt is empty"),
        ("missing completion (sft)", Array(#"{"prompt": "x"}"#.utf8), .sft, "missing field \"completion\""),
        ("hh without a shared turn", Array(#"{"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: c"}"#.utf8), .preferences, "prompt cannot be found"),
    ]

    @Test(arguments: cases.indices)
    func aBadLineLeavesTheStoreAsItWas(index: Int) throws {
        let (name, badLine, kind, expected) = Self.cases[index]
        let t = try TemporaryStore()
        // Something already in the store, which must survive untouched.
        try t.importLines([Self.good1], kind: .preferences, name: "before.jsonl")
        let before = try t.store.fingerprint()
        let lines: [[UInt8]] = kind == .preferences
            ? [Array(Self.good2.utf8), Array(trl("Another prompt:", " yes", " no").utf8), badLine]
            : kind == .sft ? [Array(#"{"prompt": "p1", "completion": "c1"}"#.utf8), Array(#"{"prompt": "p2", "completion": "c2"}"#.utf8), badLine]
            : [Array(#"{"prompt": "p1"}"#.utf8), Array(#"{"prompt": "p2"}"#.utf8), badLine]
        let path = try t.write(bytes: lines.joined(separator: [0x0A]) + [0x0A], to: "bad.jsonl")
        do {
            try t.importFile(path, kind: kind)
            Issue.record("\(name): the import was accepted")
        } catch let error as ImportError {
            #expect(error.line == 3, "\(name)")
            #expect(error.file == path)
            #expect(error.description.hasPrefix("\(path):3: "), "\(name): \(error)")
            #expect(error.message.contains(expected), "\(name): \(error.message)")
        }
        #expect(try t.store.fingerprint() == before, "\(name): the store changed")
    }

    @Test func blankLinesAreSkippedAndWhitespaceRepliesKept() throws {
        let t = try TemporaryStore()
        let s = try t.importLines([trl("Say something:", " ", "  \n"), "", "   "], kind: .preferences)
        #expect(s.records == 1 && s.blankLines == 2)
        #expect(try t.store.count("SELECT count(*) FROM completions WHERE text = ' '") == 1)
        #expect(try t.store.count("SELECT count(*) FROM completions WHERE text = '  ' || char(10)") == 1)
    }
}

/// Text survives byte for byte: quotes, SQL, emoji, Chinese, NUL and control characters.
@Suite struct ByteExactTextTests {
    static let texts = ["quote \" and 'single' and \\ backslash", "'); DROP TABLE labels; --", "emoji 😀👍🏽 and ZWJ 👩‍👩‍👧",
                        "中文：我喜欢吃红色的苹果", "nul \u{0} inside", "escape \u{1b}[31m red \u{7}", "e\u{301} (decomposed) vs é",
                        "line\r\nbreaks\n", "\u{2028}\u{2029}", " "]

    @Test func textsRoundTripThroughImportAndExport() throws {
        let t = try TemporaryStore()
        var lines: [String] = []
        for (i, text) in Self.texts.enumerated() {
            lines.append(trl("prompt \(i): " + text, "chosen " + text, "rejected " + text))
        }
        try t.importLines(lines, kind: .preferences)
        let exported = try t.export().split(separator: "\n").map { try! JSONParser.parse(String($0)).objectValue! }
        #expect(exported.count == Self.texts.count)
        for (i, text) in Self.texts.enumerated() {
            let record = exported[i]
            #expect(Array(record["prompt"]!.stringValue!.utf8) == Array(("prompt \(i): " + text).utf8))
            #expect(Array(record["chosen"]!.stringValue!.utf8) == Array(("chosen " + text).utf8))
            #expect(Array(record["rejected"]!.stringValue!.utf8) == Array(("rejected " + text).utf8))
        }
        // Stored bytes, read back from SQLite with their lengths: the NUL is there.
        #expect(try t.store.count("SELECT count(*) FROM completions WHERE instr(CAST(text AS BLOB), x'00') > 0") == 2)
        // Canonically equivalent but different texts stay two prompts.
        try t.importLines([trl("é", " a", " b"), trl("e\u{301}", " a", " b")], kind: .preferences, name: "nfc.jsonl")
        #expect(try t.store.count("SELECT count(*) FROM prompts WHERE text IN ('é', 'e' || char(769))") == 2)
    }
}

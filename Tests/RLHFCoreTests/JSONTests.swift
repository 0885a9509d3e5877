import Testing
@testable import RLHFCore

@Suite struct JSONTests {
    func parseError(_ text: String) -> JSONParseError? {
        do { _ = try JSONParser.parse(text); return nil } catch { return error as? JSONParseError }
    }

    @Test func parsesAndKeepsKeyOrder() throws {
        let v = try JSONParser.parse(#"{"b": 1, "a": [true, false, null, -0.5e3], "c": "x\u00e9\ud83d\ude00\n"}"#)
        let o = try #require(v.objectValue)
        #expect(o.keys == ["b", "a", "c"])
        #expect(o["a"] == .array([.bool(true), .bool(false), .null, .number("-0.5e3")]))
        #expect(o["c"] == .string("xé😀\n"))
    }

    @Test func keepsNulAndControlCharactersInStrings() throws {
        let v = try JSONParser.parse(#""a\u0000b\u001bc""#)
        #expect(v == .string("a\u{0}b\u{1b}c"))
        #expect(v.stringValue!.utf8.count == 5)
    }

    @Test func refusesDuplicateKeys() {
        let e = parseError(#"{"a": 1, "a": 2}"#)
        #expect(e?.message == "duplicate key \"a\"")
        #expect(e?.column == 10)
    }

    @Test func refusesLoneSurrogates() {
        #expect(parseError(#""\ud800""#)?.message.contains("lone surrogate") == true)
        #expect(parseError(#""\udc00x""#)?.message.contains("lone surrogate") == true)
        #expect(parseError(#""\ud800\u0041""#)?.message.contains("lone surrogate") == true)
    }

    @Test func refusesInvalidUTF8() {
        for bad: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] {
            do { _ = try JSONParser.parse(bad); Issue.record("accepted \(bad)") } catch {
                #expect((error as? JSONParseError)?.message == "invalid UTF-8 in string")
            }
        }
    }

    @Test func refusesDeepNesting() {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parseError(ok) == nil)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(parseError(deep)?.message == "nesting deeper than 64 levels")
    }

    @Test func refusesGrammarErrors() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"a", "\"\t\"", "{} x", "'a'", "\"\\x\""] {
            #expect(parseError(bad) != nil, "accepted \(bad.debugDescription)")
        }
    }

    @Test func writerRoundTripsEveryString() throws {
        let samples = ["", "plain", "quote \" back \\ slash", "nul \u{0} esc \u{1b} del \u{7f}", "中文 😀 é",
                       "'); DROP TABLE prompts; --", "\n\r\t\u{8}\u{c}"]
        for s in samples {
            var w = JSONWriter()
            w.string(s)
            let text = String(decoding: w.bytes, as: UTF8.self)
            #expect(try JSONParser.parse(text) == .string(s))
        }
        var w = JSONWriter()
        w.string("a\u{0}\u{1b}\"")
        #expect(String(decoding: w.bytes, as: UTF8.self) == #""a\u0000\u001b\"""#)
    }
}

import Foundation
import Testing
import RLHFCore
@testable import RLHFData
import RLHFTestSupport

@Suite struct FormatTests {
    func object(_ json: String) throws -> JSONObject { try #require(try JSONParser.parse(json).objectValue) }

    @Test func hhSplitUsesTheSharedPrefixNotEachStringsLastTurn() throws {
        // The chosen reply itself contains "\n\nAssistant:" text: splitting at its own last cue is wrong.
        let prompt = "\n\nHuman: hi\n\nAssistant:"
        let chosen = prompt + " Hello.\n\nAssistant: (again)"
        let rejected = prompt + " Go away."
        let split = try HHFormat.split(chosen: chosen, rejected: rejected)
        #expect(split.prompt == prompt)
        #expect(split.chosen == " Hello.\n\nAssistant: (again)")
        #expect(split.rejected == " Go away.")
    }

    @Test func hhSplitCutsBackToTheCueWhenRepliesShareAPrefix() throws {
        let split = try HHFormat.split(chosen: "\n\nHuman: q\n\nAssistant: Yes, sure", rejected: "\n\nHuman: q\n\nAssistant: Yes, no")
        #expect(split.prompt == "\n\nHuman: q\n\nAssistant:")
        #expect(split.chosen == " Yes, sure" && split.rejected == " Yes, no")
    }

    @Test func conversationalRecordsGoThroughTheOneTemplate() throws {
        let explicit = try TRLFormat.parsePreference(object("""
            {"prompt": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi?"}],
             "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "No."}]}
            """))
        #expect(explicit.prompt == "\n\nSystem: Be kind.\n\nHuman: Hi?\n\nAssistant:")
        #expect(explicit.chosen == " Hello!" && explicit.rejected == " No.")
        let implicit = try TRLFormat.parsePreference(object("""
            {"chosen": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello!"}],
             "rejected": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "No."}]}
            """))
        #expect(implicit.prompt == explicit.prompt.replacingOccurrences(of: "\n\nSystem: Be kind.", with: ""))
        #expect(implicit.chosen == " Hello!")
        // Prompt + reply is exactly the HH rendering of the whole conversation.
        #expect(implicit.prompt + implicit.chosen == "\n\nHuman: Hi?\n\nAssistant: Hello!")
    }

    @Test func conversationalErrorsNameTheField() throws {
        #expect(throws: RecordError("field \"chosen\": a reply must start with an assistant message, got role \"user\"")) {
            try TRLFormat.parsePreference(self.object(#"{"prompt": [{"role": "user", "content": "q"}], "chosen": [{"role": "user", "content": "x"}], "rejected": [{"role": "assistant", "content": "y"}]}"#))
        }
        #expect(throws: RecordError("field \"prompt\"[0]: role \"bot\" is not one of \"system\", \"user\", \"assistant\"")) {
            try TRLFormat.parsePreference(self.object(#"{"prompt": [{"role": "bot", "content": "q"}], "chosen": [], "rejected": []}"#))
        }
    }

    @Test func metaRoundTripsThroughItsCodec() throws {
        var meta = PreferenceMeta(id: "s:1", promptSHA256: String(repeating: "a", count: 64), isTie: true, tieKind: .bothBad,
                                  strength: .clear, annotator: "ann", source: "simulated", chosenShownFirst: false)
        var w = JSONWriter()
        PreferenceMetaCodec.write(meta, into: &w)
        let parsed = try PreferenceMetaCodec.parse(try JSONParser.parse(w.bytes).objectValue)
        #expect(parsed == meta)
        meta.isTie = false
        meta.tieKind = nil
        w.reset()
        PreferenceMetaCodec.write(meta, into: &w)
        #expect(try PreferenceMetaCodec.parse(try JSONParser.parse(w.bytes).objectValue) == meta)
        #expect(throws: RecordError("field \"meta\".\"source\": expected \"human\", \"simulated\" or \"imported:<file>\", got \"bot\"")) {
            try PreferenceMetaCodec.parse(self.object(#"{"source": "bot"}"#))
        }
    }

    @Test func marginTableMapsBothWays() {
        for s in Strength.allCases { #expect(MarginTable.strength(forMargin: MarginTable.margin(for: s)) == s) }
        #expect(MarginTable.strength(forMargin: 0) == nil)
        #expect(MarginTable.strength(forMargin: 3) == nil)
        #expect(MarginTable.margin(for: nil) == 0)
    }

    @Test func gzipIsStreamedThroughZlib() throws {
        let dir = TemporaryDirectory()
        let lines = (0..<5000).map { "{\"n\": \($0), \"text\": \"line \($0) 中文\"}" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("x.jsonl"), atomically: true, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(dir.file("x.jsonl"))' > '\(dir.file("x.jsonl.gz"))'"]
        try gzip.run()
        gzip.waitUntilExit()
        let reader = try DataFile.lineReader(path: dir.file("x.jsonl.gz"))
        var read: [String] = []
        while let line = try reader.nextLineBytes() { read.append(String(decoding: line, as: UTF8.self)) }
        #expect(read == lines)
        // A truncated stream is an error, not a silent short read.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("x.jsonl.gz")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir.file("cut.jsonl.gz")))
        let cut = try DataFile.lineReader(path: dir.file("cut.jsonl.gz"))
        #expect(throws: InputError.self) { while try cut.nextLineBytes() != nil {} }
    }
}

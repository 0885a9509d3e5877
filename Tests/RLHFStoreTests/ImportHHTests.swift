import Foundation
import Testing
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport

/// The real Anthropic HH-RLHF harmless-base test file, counted against its README.
@Suite struct ImportHHTests {
    @Test func importsEveryRowWithTheREADMECounts() throws {
        let t = try TemporaryStore()
        let s = try t.importFile(hhFile, kind: .preferences)
        #expect(s.records == 2312)
        #expect(s.newRecords == 2312)
        #expect(s.newPrompts == 2310)
        #expect(s.newCompletions == 4624)
        #expect(try t.store.count("SELECT count(*) FROM prompts") == 2310)
        #expect(try t.store.count("SELECT count(*) FROM completions") == 4624)
        #expect(try t.store.count("SELECT count(*) FROM current_labels") == 2312)
        #expect(try t.store.count("SELECT count(*) FROM current_labels WHERE source = 'imported:harmless-base-test.jsonl.gz'") == 2312)
        // Every stored prompt ends with the assistant cue, every reply is what follows it.
        #expect(try t.store.count("SELECT count(*) FROM prompts WHERE substr(text, -12) <> char(10) || char(10) || 'Assistant:'") == 0)
    }

    /// Lines 87, 517, 926 and 1104 have a chosen reply of one space; lines 1255, 1689, 1951, 1953 and
    /// 2037 have replies containing "Human:" or "\n\nAssistant:" text, where a naive split fails.
    @Test func oddRowsAreKeptByteExact() throws {
        let t = try TemporaryStore()
        try t.importFile(hhFile, kind: .preferences)
        let reader = try DataFile.lineReader(path: hhFile)
        var rows: [Int: JSONObject] = [:]
        while let line = try reader.nextLineBytes() {
            if [87, 517, 926, 1104, 1255, 1689, 1951, 1953, 2037].contains(reader.lineNumber) {
                rows[reader.lineNumber] = try JSONParser.parse(line).objectValue
            }
        }
        for n in [87, 517, 926, 1104] {
            let row = try #require(rows[n])
            let split = try HHFormat.split(chosen: row["chosen"]!.stringValue!, rejected: row["rejected"]!.stringValue!)
            #expect(split.chosen == " ", "line \(n)")
            #expect(try stored(t, prompt: split.prompt, reply: " ") == 1, "line \(n): the one-space reply is stored")
        }
        for n in [1255, 1689, 1951, 1953, 2037] {
            let row = try #require(rows[n])
            let chosen = row["chosen"]!.stringValue!, rejected = row["rejected"]!.stringValue!
            let split = try HHFormat.split(chosen: chosen, rejected: rejected)
            // Exactly the README's rule: prompt + reply gives back each string, byte for byte.
            #expect(Array((split.prompt + split.chosen).utf8) == Array(chosen.utf8), "line \(n)")
            #expect(Array((split.prompt + split.rejected).utf8) == Array(rejected.utf8), "line \(n)")
            // And the naive rule (split at each string's own last cue) would have given another prompt.
            let naive = chosen.components(separatedBy: "\n\nAssistant:").dropLast().joined(separator: "\n\nAssistant:") + "\n\nAssistant:"
            let naiveRejected = rejected.components(separatedBy: "\n\nAssistant:").dropLast().joined(separator: "\n\nAssistant:") + "\n\nAssistant:"
            #expect(naive != split.prompt || naiveRejected != split.prompt, "line \(n) is one where the naive split fails")
            #expect(try stored(t, prompt: split.prompt, reply: split.chosen) == 1)
            #expect(try stored(t, prompt: split.prompt, reply: split.rejected) == 1)
        }
    }

    func stored(_ t: TemporaryStore, prompt: String, reply: String) throws -> Int {
        let s = try t.store.db.prepare("""
            SELECT count(*) FROM completions c JOIN prompts p ON p.id = c.prompt_id WHERE p.text = ? AND c.text = ?
            """)
        try s.bind([.text(prompt), .text(reply)])
        _ = try s.step()
        defer { try? s.reset() }
        return s.int(0)
    }

    @Test func reimportAddsNothing() throws {
        let t = try TemporaryStore()
        try t.importFile(hhFile, kind: .preferences)
        let before = try t.store.fingerprint()
        let again = try t.importFile(hhFile, kind: .preferences)
        #expect(again.records == 2312)
        #expect(again.newRecords == 0)
        #expect(again.existingRecords == 2312)
        #expect(again.newPrompts == 0 && again.newCompletions == 0)
        #expect(try t.store.fingerprint() == before)
    }
}

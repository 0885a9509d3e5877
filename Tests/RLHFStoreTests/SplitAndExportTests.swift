import Foundation
import Testing
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport

@Suite struct SplitTests {
    func storeWithPrompts(_ n: Int) throws -> TemporaryStore {
        let t = try TemporaryStore()
        try t.importLines((0..<n).map { #"{"prompt": "prompt number \#($0)"}"# }, kind: .prompts)
        return t
    }

    func splits(_ t: TemporaryStore) throws -> [String: String] {
        var result: [String: String] = [:]
        try t.store.forEachRow("SELECT text, ifnull(split, '-') FROM prompts") { result[$0.text(0)] = $0.text(1) }
        return result
    }

    @Test func assignsTheFractionsReproducibly() throws {
        let a = try storeWithPrompts(1000), b = try storeWithPrompts(1000)
        let sa = try a.store.assignSplits(validationFraction: 0.1, testFraction: 0.2, seed: 7, reassign: false)
        #expect(sa == SplitSummary(train: 700, validation: 100, test: 200))
        _ = try b.store.assignSplits(validationFraction: 0.1, testFraction: 0.2, seed: 7, reassign: false)
        #expect(try splits(a) == splits(b))
        let c = try storeWithPrompts(1000)
        _ = try c.store.assignSplits(validationFraction: 0.1, testFraction: 0.2, seed: 8, reassign: false)
        #expect(try splits(a) != splits(c))
    }

    @Test func keepsImportSplitsUnlessReassigning() throws {
        let t = try TemporaryStore()
        try t.importLines([#"{"prompt": "fixed"}"#], kind: .prompts, name: "test.jsonl") { $0.split = .test }
        try t.importLines((0..<50).map { #"{"prompt": "p\#($0)"}"# }, kind: .prompts)
        let s = try t.store.assignSplits(validationFraction: 0, testFraction: 0, seed: 1, reassign: false)
        #expect(s.assigned == 50 && s.train == 50)
        #expect(try splits(t)["fixed"] == "test")
        let r = try t.store.assignSplits(validationFraction: 0, testFraction: 0, seed: 1, reassign: true)
        #expect(r.assigned == 51)
        #expect(try splits(t)["fixed"] == "train")
    }

    @Test func exportFiltersBySplit() throws {
        let t = try TemporaryStore()
        try t.importLines([trl("p1", " a", " b")], kind: .preferences, name: "one.jsonl") { $0.split = .train }
        try t.importLines([trl("p2", " a", " b")], kind: .preferences, name: "two.jsonl") { $0.split = .test }
        #expect(try t.export { $0.filter.splits = [.test] }.contains("\"p2\""))
        #expect(try !t.export { $0.filter.splits = [.test] }.contains("\"p1\""))
        #expect(try t.export().split(separator: "\n").count == 2)
    }
}

@Suite struct AggregateExportTests {
    /// Three annotators on two pairs: (a, b) 2 votes first, 1 second; (c, d) 1 first, 1 second, 1 tie.
    func store() throws -> TemporaryStore {
        let t = try TemporaryStore()
        try t.importLines([trl("p", " a", " b", extra: #","meta":{"annotator":"u1","strength":3}"#),
                           trl("p", " a", " b", extra: #","meta":{"annotator":"u2","strength":2}"#),
                           trl("p", " b", " a", extra: #","meta":{"annotator":"u3"}"#),
                           trl("q", " c", " d", extra: #","meta":{"annotator":"u1"}"#),
                           trl("q", " d", " c", extra: #","meta":{"annotator":"u2"}"#),
                           trl("q", " c", " d", extra: #","meta":{"annotator":"u3","winner":"tie"}"#)], kind: .preferences)
        return t
    }

    @Test func majorityGivesOneRecordPerPairWithAMajority() throws {
        let t = try store()
        let sink = MemorySink()
        var o = ExportOptions()
        o.aggregate = .majority
        let s = try t.store.exportPreferences(o, to: sink)
        #expect(s.records == 1 && s.pairsWithoutMajority == 1)
        let r = try JSONParser.parse(sink.lines[0]).objectValue!
        #expect(r["chosen"] == .string(" a") && r["rejected"] == .string(" b"))
        let meta = r["meta"]!.objectValue!
        #expect(meta["votes"] == .int(3))
        #expect(meta["agreement"] == .number("0.6667"))
        #expect(meta["strength"] == .int(3))   // mean of 3 and 2, rounded half up... (2.5 -> 3)
        #expect(r["margin"] == .number("1"))
    }

    @Test func minAgreementFiltersPairs() throws {
        let t = try store()
        #expect(try t.export { $0.minAgreement = 0.6 }.split(separator: "\n").count == 3)
        #expect(try t.export { $0.minAgreement = 0.7 }.isEmpty)
        #expect(try t.export { $0.minAgreement = 0.3; $0.includeTies = true }.split(separator: "\n").count == 6)
    }

    @Test func filtersByAnnotatorAndSource() throws {
        let t = try store()
        #expect(try t.export { $0.filter.annotators = ["u1"] }.split(separator: "\n").count == 2)
        #expect(try t.export { $0.filter.sources = ["imported"] }.split(separator: "\n").count == 5)
        #expect(try t.export { $0.filter.sources = ["human"] }.isEmpty)
    }
}

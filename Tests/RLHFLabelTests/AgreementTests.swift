import Foundation
import Testing
import RLHFCore
import RLHFData
@testable import RLHFLabel
import RLHFStore
import RLHFTestSupport

@Suite struct AgreementTests {
    /// Cohen's kappa, the textbook 2x2 example (50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15):
    /// p_o = 0.7, p_e = 0.5, kappa = 0.4.
    @Test func cohensKappaTextbook() throws {
        let ratings = Array(repeating: ("yes", "yes"), count: 20) + Array(repeating: ("yes", "no"), count: 5)
            + Array(repeating: ("no", "yes"), count: 10) + Array(repeating: ("no", "no"), count: 15)
        let kappa = try #require(Agreement.cohensKappa(ratings))
        #expect(abs(kappa - 0.4) < 1e-12)
        #expect(Agreement.cohensKappa([("a", "a"), ("a", "a")]) == nil)
    }

    /// Krippendorff's alpha, nominal, the worked example of Krippendorff (2011), "Computing
    /// Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units, missing values, alpha = 0.743.
    @Test func krippendorffAlphaTextbook() throws {
        let observers: [[Int?]] = [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nil, nil, nil],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nil, 3],
            [nil, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nil],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nil],
        ]
        let units = (0..<12).map { u in observers.compactMap { $0[u] } }
        let alpha = try #require(Agreement.krippendorffAlphaNominal(units))
        #expect(abs(alpha - 0.743421052631579) < 1e-9)
    }

    @Test func perfectAgreementIsOne() throws {
        #expect(Agreement.krippendorffAlphaNominal([["a", "a"], ["b", "b"], ["a", "a", "a"]]) == 1)
        #expect(Agreement.cohensKappa([("a", "a"), ("b", "b")]) == 1)
    }

    /// Two annotators label 40 pairs; then the same judgements with every pair's shown order flipped:
    /// kappa, alpha and the label counts are the same (values are by completion id).
    @Test func flippingTheShownOrderChangesNeither() throws {
        func run(flip: Bool) throws -> AgreementReport {
            let t = try labelingStore(prompts: 40, completions: 2)
            var random = SeededRandom(seed: 11)
            let truth = (0..<40).map { _ in random.nextInt(below: 3) }   // 0 first, 1 second, 2 tie, by id
            for (name, noise) in [("u1", 0), ("u2", 7)] {
                let s = try session(t, name, clock: ManualClock()) { $0.overlap = 2 }
                var i = 0
                while let offered = try s.next() {
                    let index = Int(offered.promptID - 1)
                    var want = truth[index]
                    if noise > 0 && i % noise == 0 { want = (want + 1) % 3 }
                    // The decision in screen terms: 'a' is whichever completion is shown first.
                    let decision: Decision = want == 2 ? .tie(.plain) : .choose(shownFirst: (want == 0) == offered.firstShownFirst, strength: nil)
                    _ = try s.decide(decision)
                    i += 1
                }
            }
            if flip {
                // Rewrite history as if every pair had been shown the other way round: new labels,
                // same winners by id, opposite shown_first, superseding the originals.
                try t.store.db.write {
                    var rows: [(Int64, Int64, Int64, Int64, String, String, Int64)] = []
                    try t.store.forEachRow("SELECT id, prompt_id, first_id, second_id, winner, shown_first, annotator_id FROM labels WHERE superseded_by IS NULL") {
                        rows.append(($0.int64(0), $0.int64(1), $0.int64(2), $0.int64(3), $0.text(4), $0.text(5), $0.int64(6)))
                    }
                    for r in rows {
                        let id = try t.store.insertLabel(NewLabel(promptID: r.1, firstID: r.2, secondID: r.3, winner: Winner(rawValue: r.4)!,
                                                                   shownFirst: r.5 == "first" ? .second : .first, annotatorID: r.6))
                        try t.store.supersede(r.0, by: id)
                    }
                }
            }
            return try AgreementReport.compute(store: t.store)
        }
        let straight = try run(flip: false), flipped = try run(flip: true)
        #expect(straight.kappas == flipped.kappas)
        #expect(straight.alpha == flipped.alpha)
        #expect(straight.alphaUnits == 40)
        let kappa = try #require(straight.kappas.first?.kappa)
        #expect(kappa > 0.5 && kappa < 1)
        // Position bias is what flips.
        #expect(straight.annotators.map(\.positionBias) != flipped.annotators.map(\.positionBias))
    }
}

/// Inter-annotator agreement (what Label Studio keeps for its Enterprise edition and Argilla users ask
/// for): Cohen's kappa for two annotators, Krippendorff's alpha (nominal) for any number with missing
/// values. Values are winners by completion id (first, second, tie), so which side was shown where
/// cannot inflate or deflate agreement.
public enum Agreement {
    /// Cohen's kappa (1960) over units both raters judged: (p_o - p_e) / (1 - p_e), with p_e from each
    /// rater's own marginals. Nil when undefined (no units, or both raters always gave one same value).
    public static func cohensKappa<C: Hashable>(_ ratings: [(C, C)]) -> Double? {
        guard !ratings.isEmpty else { return nil }
        let n = Double(ratings.count)
        var agree = 0.0
        var left: [C: Double] = [:], right: [C: Double] = [:]
        for (a, b) in ratings {
            if a == b { agree += 1 }
            left[a, default: 0] += 1
            right[b, default: 0] += 1
        }
        let observed = agree / n
        let expected = left.reduce(0.0) { $0 + ($1.value / n) * ((right[$1.key] ?? 0) / n) }
        guard expected < 1 else { return nil }
        return (observed - expected) / (1 - expected)
    }

    /// Krippendorff's alpha for nominal data (Krippendorff 2011, "Computing Krippendorff's
    /// Alpha-Reliability"): 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k over the coincidence
    /// matrix of units with two or more values. `units` holds each unit's values (missing left out).
    public static func krippendorffAlphaNominal<C: Hashable>(_ units: [[C]]) -> Double? {
        var coincidences: [C: [C: Double]] = [:]
        for values in units where values.count >= 2 {
            let weight = 1.0 / Double(values.count - 1)
            for i in values.indices {
                for j in values.indices where i != j {
                    coincidences[values[i], default: [:]][values[j], default: 0] += weight
                }
            }
        }
        var totals: [C: Double] = [:]
        for (c, row) in coincidences { totals[c] = row.values.reduce(0, +) }
        let n = totals.values.reduce(0, +)
        guard n > 1 else { return nil }
        var disagreeing = 0.0
        for (c, row) in coincidences { for (k, v) in row where k != c { disagreeing += v } }
        var expected = 0.0
        for (c, nc) in totals { for (k, nk) in totals where k != c { expected += nc * nk } }
        guard expected > 0 else { return nil }
        return 1 - (n - 1) * disagreeing / expected
    }

    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

import RLHFCore
import RLHFData

public struct SplitSummary: Sendable, Equatable {
    public var train = 0
    public var validation = 0
    public var test = 0
    public var assigned: Int { train + validation + test }

    public init(train: Int = 0, validation: Int = 0, test: Int = 0) {
        self.train = train
        self.validation = validation
        self.test = test
    }
}

extension Store {
    /// Assigns prompts (and so their completions and labels) to train / validation / test. Prompts are
    /// put in hash order, shuffled with the seed and cut at the fractions, so the same prompts and
    /// seed give the same split on every machine. Without `reassign`, only prompts with no split yet
    /// are touched; a split given at import is kept.
    public func assignSplits(validationFraction: Double, testFraction: Double, seed: UInt64,
                             reassign: Bool) throws -> SplitSummary {
        precondition(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction <= 1)
        return try db.write {
            let select = try db.prepareUncached(
                "SELECT id FROM prompts \(reassign ? "" : "WHERE split IS NULL") ORDER BY hash")
            var ids: [Int64] = []
            while try select.step() { ids.append(select.int64(0)) }
            var random = SeededRandom(seed: seed)
            random.shuffle(&ids)
            let nValidation = Int((Double(ids.count) * validationFraction).rounded())
            let nTest = min(ids.count - nValidation, Int((Double(ids.count) * testFraction).rounded()))
            let update = try db.prepare("UPDATE prompts SET split = ? WHERE id = ?")
            var summary = SplitSummary()
            for (i, id) in ids.enumerated() {
                let split: Split = i < nValidation ? .validation : (i < nValidation + nTest ? .test : .train)
                try update.reset()
                try update.bind([.text(split.rawValue), .int(id)])
                try update.step()
                switch split {
                case .train: summary.train += 1
                case .validation: summary.validation += 1
                case .test: summary.test += 1
                }
            }
            return summary
        }
    }
}

import Foundation
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTrain

/// Where the store's judgements meet the reward trainer: StoredJudgement -> RewardJudgement, the run's
/// example list (label ids and ranking ids per split), and reading those ids back on `--resume`.
enum RewardData {
    static let manifestKind = "preference-judgements"

    static func judgement(_ s: StoredJudgement) -> RewardJudgement {
        let p = s.pair
        let key = s.labelID.map { "label:\($0)" } ?? "ranking:\(s.rankingID ?? 0):\(p.firstID):\(p.secondID)"
        let outcome: PreferenceLoss.Outcome = p.winner == .first ? .firstWins : p.winner == .second ? .secondWins : .tie
        return RewardJudgement(key: key, promptID: p.promptID, prompt: p.prompt, firstID: p.firstID, first: p.first,
                               secondID: p.secondID, second: p.second, outcome: outcome,
                               margin: MarginTable.margin(for: p.strength))
    }

    /// A label is its id; a ranking is its id and stands for all its pairs (rankings are never edited,
    /// only superseded by a new id), so "split.labels" and "split.rankings" sets identify every judgement.
    static func manifest(_ splits: [(name: String, judgements: [StoredJudgement])]) -> ExampleManifest {
        var sets: [(name: String, ids: [Int64])] = []
        var contents: [[[String]]] = []
        for (name, judgements) in splits {
            var labels: [Int64] = [], labelContent: [[String]] = []
            var rankings: [Int64] = [], rankingContent: [Int64: [String]] = [:]
            for j in judgements {
                let text = [j.pair.prompt, j.pair.first, j.pair.second, j.pair.winner.rawValue, "\(j.pair.strength?.rawValue ?? 0)"]
                if let id = j.labelID {
                    labels.append(id)
                    labelContent.append(text)
                } else if let id = j.rankingID {
                    if rankingContent[id] == nil { rankings.append(id) }
                    rankingContent[id, default: []] += text
                }
            }
            sets.append((name + ".labels", labels))
            contents.append(labelContent)
            sets.append((name + ".rankings", rankings))
            contents.append(rankings.map { rankingContent[$0] ?? [] })
        }
        return ExampleManifest(kind: manifestKind, sets: sets) { s, i in contents[s][i] }
    }

    /// The judgements of a saved example list, per split, read back by id; names what is gone.
    static func reload(_ manifest: ExampleManifest, store: Store, source: String) throws -> [(name: String, judgements: [StoredJudgement])] {
        guard manifest.kind == manifestKind else {
            throw TrainingError.resumeMismatch("\(source): its example list is of kind \(manifest.kind), not a reward model's")
        }
        var result: [(String, [StoredJudgement])] = []
        for split in ["train", "validation", "test"] {
            let labels = manifest.ids(split + ".labels"), rankings = manifest.ids(split + ".rankings")
            let found = try store.judgements(labelIDs: labels, rankingIDs: rankings)
            let foundLabels = Set(found.compactMap(\.labelID)), foundRankings = Set(found.compactMap(\.rankingID))
            if let missing = labels.first(where: { !foundLabels.contains($0) }) {
                throw TrainingError.resumeMismatch("label \(missing) of the run's \(split) judgements is no longer in the store")
            }
            if let missing = rankings.first(where: { !foundRankings.contains($0) }) {
                throw TrainingError.resumeMismatch("ranking \(missing) of the run's \(split) judgements is no longer in the store")
            }
            result.append((split, found))
        }
        return result
    }

    /// `reward_run.json`, copied into every checkpoint: what a resumed run needs that the trainer state
    /// does not hold (the policy to normalise on).
    static func runFile(initDirectory: String) -> [UInt8] {
        Array((JSONWriter.encode(.object(JSONObject([("format", .string("rlhf-reward-run")), ("version", .int(1)),
                                                      ("init", .string(initDirectory))]))) + "\n").utf8)
    }

    static func initDirectory(fromRunFile directory: String) throws -> String {
        let path = directory + "/reward_run.json"
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONParser.parse([UInt8](data)).objectValue, let initDirectory = object["init"]?.stringValue else {
            throw TrainingError.resumeMismatch("\(path) is missing or unreadable: it names the --init policy the run normalises on")
        }
        return initDirectory
    }
}

/// The training session as the reward trainer's observer: the shared progress, checkpoint records and
/// store metrics, plus a line per evaluation with the reward model's own figures.
final class RewardSessionObserver: RewardTrainingObserver {
    let session: TrainingSession

    init(_ session: TrainingSession) { self.session = session }

    func stepFinished(_ report: StepReport) { session.stepFinished(report) }

    func checkpointSaved(step: Int, directory: String, manifestSHA256: String) throws {
        try session.checkpointSaved(step: step, directory: directory, manifestSHA256: manifestSHA256)
    }

    func rewardEvaluated(step: Int, set: String, report: RewardReport) {
        session.progress.note("step \(step) \(set): " + Self.summary(report))
    }

    func note(_ message: String) { session.progress.note(message) }

    static func summary(_ report: RewardReport) -> String {
        let m = report.metrics
        var text = String(format: "loss %.4f accuracy %.4f (%d pairs", report.objectiveLoss, m.accuracy, m.pairs)
        if m.ties > 0 { text += ", \(m.ties) ties apart" }
        text += String(format: ") margin %.3f ece %.4f", m.meanMargin, m.expectedCalibrationError)
        if let c = m.rewardLengthCorrelation { text += String(format: " reward~length r %.3f", c) }
        text += String(format: " length-only: longer wins %.4f, shorter wins %.4f", m.longerWinsAccuracy, m.shorterWinsAccuracy)
        return text
    }

    /// The report as one JSON line (stdout).
    static func json(_ report: RewardReport, set: String, step: Int) -> String {
        let m = report.metrics
        var pairs: [(String, JSONValue)] = [
            ("set", .string(set)), ("step", .int(step)), ("pairs", .int(m.pairs)), ("ties", .int(m.ties)),
            ("accuracy", .double(m.accuracy)), ("loss", .double(report.objectiveLoss)), ("bt_loss", .double(m.meanLoss)),
            ("mean_margin", .double(m.meanMargin)),
            ("margin_histogram", .array(m.marginHistogram.map { .int($0) })),
            ("margin_bins", .array(RewardEvaluation.marginBins.map { .double($0) })),
            ("ece", .double(m.expectedCalibrationError)),
            ("reward_length_correlation", m.rewardLengthCorrelation.map { .double($0) } ?? .null),
            ("longer_wins_accuracy", .double(m.longerWinsAccuracy)), ("shorter_wins_accuracy", .double(m.shorterWinsAccuracy)),
        ]
        if let t = m.tieMeanAbsoluteDifference { pairs.append(("tie_mean_abs_difference", .double(t))) }
        return JSONWriter.encode(.object(JSONObject(pairs)))
    }
}

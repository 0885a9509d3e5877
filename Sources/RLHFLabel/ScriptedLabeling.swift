import Foundation
import RLHFCore
import RLHFData
import RLHFStore

/// Line-based labeling for scripts and tests (stdin not a terminal): one decision per line in, one
/// JSON line out for every pair offered and every label saved. A line that is not a decision is an
/// error on stderr naming the line; nothing is saved for it and the pair stays on offer.
public struct ScriptedLabeling {
    public let input: LineReader
    public let output: ByteSink
    public let messages: ByteSink

    public init(input: LineReader, output: ByteSink, messages: ByteSink) {
        self.input = input
        self.output = output
        self.messages = messages
    }

    /// Runs until quit, end of input, `--limit`, or an empty queue. Returns the labels saved.
    @discardableResult
    public func run(_ session: LabelSession) throws -> Int {
        guard var offered = try session.next() else {
            messages.print("no pair left to label for \(session.options.annotator): the queue is empty or every pair is claimed or has its labels")
            return 0
        }
        try emit(pair: offered)
        while let line = try input.nextLine({ String(decoding: $0, as: UTF8.self) }) {
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let decision = Decision.parse(line) else {
                messages.print("line \(input.lineNumber): '\(line)' is not a decision (\(Decision.grammar)); nothing saved")
                continue
            }
            let event = try session.decide(decision)
            try emit(event)
            if event == .quit { break }
            if let limit = session.options.limit, session.labelsSaved >= limit { break }
            switch event {
            case .nothingToUndo, .nothingToGoBackTo:
                messages.print("line \(input.lineNumber): \(event == .nothingToUndo ? "nothing to undo" : "nothing to go back to")")
                continue   // the same pair stays on offer
            default: break
            }
            guard let next = try session.next() else {
                messages.print("no pair left to label for \(session.options.annotator)")
                break
            }
            offered = next
            try emit(pair: offered)
        }
        try output.flush()
        return session.labelsSaved
    }

    func emit(pair: OfferedPair) throws {
        var w = JSONWriter()
        w.raw("{\"event\":\"pair\",\"prompt_id\":"); w.int(Int(pair.promptID))
        w.rawString(",\"shown\":[\(pair.shownIDs[0]),\(pair.shownIDs[1])]")
        w.raw(",\"first_id\":"); w.int(Int(pair.pair.first))
        w.raw(",\"second_id\":"); w.int(Int(pair.pair.second))
        w.raw(",\"revisit\":"); w.bool(pair.isRevisit)
        w.raw(",\"prompt\":"); w.string(pair.prompt)
        w.raw(",\"texts\":["); w.string(pair.shownTexts[0]); w.raw(","); w.string(pair.shownTexts[1]); w.raw("]}\n")
        try output.write(w.bytes)
        try output.flush()
    }

    func emit(_ event: SessionEvent) throws {
        var w = JSONWriter()
        switch event {
        case let .saved(id, pair, winner, tieKind, strength, supersedes):
            w.raw("{\"event\":\"label\",\"label_id\":"); w.int(Int(id))
            w.raw(",\"first_id\":"); w.int(Int(pair.first))
            w.raw(",\"second_id\":"); w.int(Int(pair.second))
            w.raw(",\"winner\":"); w.string(winner.rawValue)
            w.raw(",\"tie_kind\":"); if let tieKind { w.string(tieKind.rawValue) } else { w.null() }
            w.raw(",\"strength\":"); if let strength { w.int(strength.rawValue) } else { w.null() }
            w.raw(",\"supersedes\":"); if let supersedes { w.int(Int(supersedes)) } else { w.null() }
            w.raw("}\n")
        case .skipped(let pair):
            w.rawString("{\"event\":\"skip\",\"first_id\":\(pair.first),\"second_id\":\(pair.second)}\n")
        case let .undone(id, marker, pair):
            w.rawString("{\"event\":\"undo\",\"label_id\":\(id),\"marker_id\":\(marker),\"first_id\":\(pair.first),\"second_id\":\(pair.second)}\n")
        case .wentBack(let pair):
            w.rawString("{\"event\":\"back\",\"first_id\":\(pair.first),\"second_id\":\(pair.second)}\n")
        case .nothingToUndo, .nothingToGoBackTo, .quit:
            return
        }
        try output.write(w.bytes)
        try output.flush()
    }

    /// Ranking mode: each line orders the shown letters best first ("cab" or "c a b"), or skip, undo, quit.
    @discardableResult
    public func run(_ session: RankSession) throws -> Int {
        guard var offered = try session.next() else {
            messages.print("no prompt left to rank for \(session.options.annotator)")
            return 0
        }
        try emit(ranking: offered)
        while let line = try input.nextLine({ String(decoding: $0, as: UTF8.self) }) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            let event: RankEvent
            switch text {
            case "quit": event = .quit
            case "skip": event = try session.skip()
            case "undo": event = try session.undo()
            default:
                guard let order = RankSession.parseOrder(text, count: offered.shownIDs.count) else {
                    messages.print("line \(input.lineNumber): '\(line)' is not a ranking of \(offered.shownIDs.count) letters best first (e.g. \(String("abcdefghi".prefix(offered.shownIDs.count).reversed()))), skip, undo or quit; nothing saved")
                    continue
                }
                event = try session.rank(order)
            }
            var w = JSONWriter()
            switch event {
            case .quit: try output.flush(); return session.labelsSaved
            case let .saved(id, ranked):
                w.rawString("{\"event\":\"ranking\",\"ranking_id\":\(id),\"ranked\":[\(ranked.map(String.init).joined(separator: ","))]}\n")
            case .skipped(let prompt): w.rawString("{\"event\":\"skip\",\"prompt_id\":\(prompt)}\n")
            case let .undone(id, prompt): w.rawString("{\"event\":\"undo\",\"ranking_id\":\(id),\"prompt_id\":\(prompt)}\n")
            case .nothingToUndo:
                messages.print("line \(input.lineNumber): nothing to undo")
                continue
            }
            try output.write(w.bytes)
            if let limit = session.options.limit, session.labelsSaved >= limit { break }
            guard let next = try session.next() else {
                messages.print("no prompt left to rank for \(session.options.annotator)")
                break
            }
            offered = next
            try emit(ranking: offered)
        }
        try output.flush()
        return session.labelsSaved
    }

    func emit(ranking: OfferedRanking) throws {
        var w = JSONWriter()
        w.raw("{\"event\":\"prompt\",\"prompt_id\":"); w.int(Int(ranking.promptID))
        w.rawString(",\"shown\":[\(ranking.shownIDs.map(String.init).joined(separator: ","))]")
        w.raw(",\"prompt\":"); w.string(ranking.prompt)
        w.raw(",\"texts\":[")
        for (i, t) in ranking.shownTexts.enumerated() { if i > 0 { w.raw(",") }; w.string(t) }
        w.raw("]}\n")
        try output.write(w.bytes)
        try output.flush()
    }
}

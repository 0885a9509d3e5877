import RLHFCore
import RLHFData

public struct ExportOptions: Sendable {
    public enum Aggregate: String, CaseIterable, Sendable { case all, majority }
    public var format: PreferenceFormat = .trl
    public var filter = LabelFilter()
    public var aggregate: Aggregate = .all
    /// Keep pairs whose majority share of (filtered) current labels is at least this.
    public var minAgreement: Double?
    public var includeTies = false

    public init() {}
}

public struct ExportSummary: Sendable, Equatable {
    public var records = 0
    public var ties = 0
    public var withMargin = false
    /// Pairs left out by `--aggregate majority` because no winner had more than half the votes.
    public var pairsWithoutMajority = 0
}

/// Streams preference records from `current_labels` in constant memory: one row in, one JSON line out.
/// Order: labels by id, then ranking pairs by ranking, so an import of the file into a new store
/// inserts labels in the same order and its export gives the same bytes.
extension Store {
    public func exportPreferences(_ options: ExportOptions, to sink: ByteSink) throws -> ExportSummary {
        try db.read {
            let storeID = try storeID()
            let (condition, values) = options.filter.sql()
            let agreement = options.minAgreement.map { _ in Store.pairShareCTE(condition) }
            let withMargin = options.format == .trl ? try hasStrength(condition, values, options) : false
            var summary = ExportSummary(withMargin: withMargin)
            if options.aggregate == .majority {
                try exportMajority(options, condition, values, withMargin, storeID, sink, &summary)
                return summary
            }
            let sql = """
                \(agreement.map { "WITH \($0) " } ?? "")
                SELECT cl.label_id, cl.ranking_id, cl.first_id, cl.second_id, cl.winner, cl.tie_kind, cl.strength,
                       cl.shown_first, a.name, cl.source, cl.external_id, p.text, p.hash, f.text, f.hash, s.text, s.hash
                FROM current_labels cl
                JOIN prompts p ON p.id = cl.prompt_id
                JOIN completions f ON f.id = cl.first_id
                JOIN completions s ON s.id = cl.second_id
                LEFT JOIN annotators a ON a.id = cl.annotator_id
                \(agreement != nil ? "JOIN pair_share ps ON ps.first_id = cl.first_id AND ps.second_id = cl.second_id" : "")
                WHERE \(condition) \(options.includeTies ? "" : "AND cl.winner <> 'tie'")
                  \(agreement != nil ? "AND ps.share >= ?" : "")
                ORDER BY cl.ranking_id IS NOT NULL, cl.label_id, cl.ranking_id, cl.first_id, cl.second_id
                """
            let query = try db.prepareUncached(sql)
            var bound = agreement != nil ? values : []
            bound += values
            if let f = options.minAgreement { bound.append(.double(f - 1e-12)) }
            try query.bind(bound)
            var w = JSONWriter(capacity: 1 << 16)
            while try query.step() {
                let winner = Winner(rawValue: query.text(4)) ?? .tie
                // A tie has no chosen side: the reply with the smaller hash comes first, the same in every store.
                let chosenIsFirst: Bool
                switch winner {
                case .first: chosenIsFirst = true
                case .second: chosenIsFirst = false
                case .tie: chosenIsFirst = !query.blobBytes(16).lexicographicallyPrecedes(query.blobBytes(14))
                }
                let (c, r) = chosenIsFirst ? (13, 15) : (15, 13)
                var meta = PreferenceMeta()
                let external = query.optionalText(10)
                if let external, !external.isEmpty {
                    meta.id = external
                } else if !query.isNull(0) {
                    meta.id = "\(storeID):\(query.int64(0))"
                } else {
                    meta.id = "\(storeID):r\(query.int64(1)):\(query.int64(2))-\(query.int64(3))"
                }
                meta.promptSHA256 = Hex.encode(query.blobBytes(12))
                meta.chosenSHA256 = Hex.encode(query.blobBytes(c + 1))
                meta.rejectedSHA256 = Hex.encode(query.blobBytes(r + 1))
                meta.isTie = winner == .tie
                meta.tieKind = query.optionalText(5).flatMap(TieKind.init(rawValue:))
                meta.strength = query.optionalInt(6).flatMap(Strength.init(rawValue:))
                if let shown = query.optionalText(7) { meta.chosenShownFirst = (shown == "first") == chosenIsFirst }
                meta.annotator = query.optionalText(8)
                meta.source = query.text(9)
                w.reset()
                Store.writeRecord(&w, options.format, prompt: query.textBytes(11), chosen: query.textBytes(c),
                                  rejected: query.textBytes(r), margin: withMargin ? meta.strength : nil,
                                  withMargin: withMargin, meta: &meta)
                try w.bytes.withUnsafeBytes { try sink.write($0) }
                summary.records += 1
                if winner == .tie { summary.ties += 1 }
            }
            return summary
        }
    }

    /// Per pair, the largest share any one winner has among the filtered current labels.
    static func pairShareCTE(_ condition: String) -> String {
        """
        pair_share AS (
            SELECT first_id, second_id, max(n) * 1.0 / sum(n) AS share FROM (
                SELECT cl.first_id, cl.second_id, cl.winner, count(*) AS n
                FROM current_labels cl JOIN prompts p ON p.id = cl.prompt_id
                LEFT JOIN annotators a ON a.id = cl.annotator_id
                WHERE \(condition)
                GROUP BY cl.first_id, cl.second_id, cl.winner)
            GROUP BY first_id, second_id)
        """
    }

    /// TRL's collator fails on a margin column with gaps: a file has a margin on every record (when any
    /// exported label has a strength) or on none.
    func hasStrength(_ condition: String, _ values: [SQLValue], _ options: ExportOptions) throws -> Bool {
        let s = try db.prepareUncached("""
            SELECT EXISTS (SELECT 1 FROM current_labels cl JOIN prompts p ON p.id = cl.prompt_id
                           LEFT JOIN annotators a ON a.id = cl.annotator_id
                           WHERE \(condition) AND cl.strength IS NOT NULL \(options.includeTies ? "" : "AND cl.winner <> 'tie'"))
            """)
        try s.bind(values)
        return try s.step() && s.int(0) == 1
    }

    static func writeRecord(_ w: inout JSONWriter, _ format: PreferenceFormat, prompt: UnsafeRawBufferPointer,
                            chosen: UnsafeRawBufferPointer, rejected: UnsafeRawBufferPointer, margin: Strength?,
                            withMargin: Bool, meta: inout PreferenceMeta) {
        switch format {
        case .trl:
            w.raw("{\"prompt\":"); w.string(bytes: prompt)
            w.raw(",\"chosen\":"); w.string(bytes: chosen)
            w.raw(",\"rejected\":"); w.string(bytes: rejected)
            if withMargin { w.raw(",\"margin\":"); w.raw(MarginTable.text(for: margin)) }
        case .hh:
            meta.promptBytes = prompt.count
            w.raw("{\"chosen\":"); w.string(concatenating: prompt, chosen)
            w.raw(",\"rejected\":"); w.string(concatenating: prompt, rejected)
        }
        w.raw(",\"meta\":")
        PreferenceMetaCodec.write(meta, into: &w)
        w.raw("}\n")
    }
}

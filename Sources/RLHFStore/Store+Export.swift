#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RLHFCore
import RLHFData

/// True when the bytes are exactly the constant's.
@inline(__always) func bytesEqual(_ bytes: UnsafeRawBufferPointer, _ constant: StaticString) -> Bool {
    bytes.count == constant.utf8CodeUnitCount && (bytes.count == 0 || memcmp(bytes.baseAddress!, constant.utf8Start, bytes.count) == 0)
}

extension TieKind {
    /// The tie kind stored as these UTF-8 bytes, if any.
    init?(bytes: UnsafeRawBufferPointer) {
        if bytesEqual(bytes, "plain") { self = .plain }
        else if bytesEqual(bytes, "both-good") { self = .bothGood }
        else if bytesEqual(bytes, "both-bad") { self = .bothBad }
        else { return nil }
    }
}

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
                ORDER BY cl.label_id NULLS LAST, cl.ranking_id, cl.first_id, cl.second_id
                """
            // Labels by id, then ranking pairs: plain columns in ORDER BY let SQLite flatten the view
            // and read labels in rowid order (no temporary b-tree of every row).
            let query = try db.prepareUncached(sql)
            var bound = agreement != nil ? values : []
            bound += values
            if let f = options.minAgreement { bound.append(.double(f - 1e-12)) }
            try query.bind(bound)
            var rows = ExportRowPipe(sink: sink, format: options.format, withMargin: withMargin, storeID: storeID)
            while try query.step() {
                let isTie: Bool
                let chosenIsFirst: Bool
                let winner = query.textBytes(4)
                if bytesEqual(winner, "first") {
                    (isTie, chosenIsFirst) = (false, true)
                } else if bytesEqual(winner, "second") {
                    (isTie, chosenIsFirst) = (false, false)
                } else {
                    // A tie has no chosen side: the reply with the smaller hash comes first, the same in every store.
                    isTie = true
                    chosenIsFirst = !Store.precedes(query.blobBytes(16), query.blobBytes(14))
                }
                let (c, r) = chosenIsFirst ? (13, 15) : (15, 13)
                var flags: UInt8 = isTie ? ExportRowPipe.isTie : 0
                var ids: (Int64, Int64, Int64) = (0, 0, 0)
                let external = query.optionalTextBytes(10) ?? UnsafeRawBufferPointer(start: nil, count: 0)
                if external.count > 0 {
                    flags |= ExportRowPipe.hasExternalID
                } else if !query.isNull(0) {
                    flags |= ExportRowPipe.hasLabelID
                    ids.0 = query.int64(0)
                } else {
                    ids = (query.int64(1), query.int64(2), query.int64(3))
                }
                let tieKind: UInt8
                switch query.optionalTextBytes(5).flatMap(TieKind.init(bytes:)) {
                case .none: tieKind = 0
                case .plain?: tieKind = 1
                case .bothGood?: tieKind = 2
                case .bothBad?: tieKind = 3
                }
                let strength = UInt8(query.optionalInt(6).flatMap(Strength.init(rawValue:))?.rawValue ?? 0)
                let shown: UInt8 = query.optionalTextBytes(7).map { bytesEqual($0, "first") == chosenIsFirst ? 1 : 2 } ?? 0
                let annotator = query.optionalTextBytes(8)
                if annotator != nil { flags |= ExportRowPipe.hasAnnotator }
                try rows.add(flags: flags, tieKind: tieKind, strength: strength, shown: shown, ids: ids,
                             prompt: query.textBytes(11), chosen: query.textBytes(c), rejected: query.textBytes(r),
                             promptHash: query.blobBytes(12), chosenHash: query.blobBytes(c + 1), rejectedHash: query.blobBytes(r + 1),
                             annotator: annotator ?? UnsafeRawBufferPointer(start: nil, count: 0), source: query.textBytes(9),
                             externalID: external)
                summary.records += 1
                if isTie { summary.ties += 1 }
            }
            try rows.finish()
            return summary
        }
    }

    /// Byte-wise order of two blobs (SQLite's order of BLOB values).
    static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return c < 0 }
        }
        return a.count < b.count
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

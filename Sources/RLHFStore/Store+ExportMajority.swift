import RLHFCore
import RLHFData

extension Store {
    /// `--aggregate majority`: one record per pair, the winner with more than half of the pair's
    /// (filtered) current labels; pairs without one are left out and counted. Strength is the
    /// rounded mean of the majority's known strengths.
    func exportMajority(_ options: ExportOptions, _ condition: String, _ values: [SQLValue], _ withMargin: Bool,
                        _ storeID: String, _ sink: ByteSink, _ summary: inout ExportSummary) throws {
        let groups = try db.prepareUncached("""
            SELECT cl.first_id, cl.second_id, cl.prompt_id, cl.winner, count(*), avg(cl.strength)
            FROM current_labels cl JOIN prompts p ON p.id = cl.prompt_id
            LEFT JOIN annotators a ON a.id = cl.annotator_id
            WHERE \(condition)
            GROUP BY cl.first_id, cl.second_id, cl.winner
            ORDER BY cl.first_id, cl.second_id
            """)
        try groups.bind(values)
        let texts = try db.prepare("""
            SELECT p.text, p.hash, f.text, f.hash, s.text, s.hash
            FROM prompts p, completions f, completions s WHERE p.id = ? AND f.id = ? AND s.id = ?
            """)
        struct Vote { var winner: Winner; var count: Int; var strength: Double? }
        var pair: (first: Int64, second: Int64, prompt: Int64)? = nil
        var votes: [Vote] = []
        var w = JSONWriter(capacity: 1 << 16)

        func flush() throws {
            guard let current = pair else { return }
            let total = votes.reduce(0) { $0 + $1.count }
            guard let top = votes.max(by: { $0.count < $1.count }), top.count * 2 > total else {
                summary.pairsWithoutMajority += 1
                return
            }
            let share = Double(top.count) / Double(total)
            if let minimum = options.minAgreement, share < minimum - 1e-12 { return }
            if top.winner == .tie && !options.includeTies { return }
            try texts.reset()
            try texts.bind([.int(current.prompt), .int(current.first), .int(current.second)])
            guard try texts.step() else { return }
            let chosenIsFirst = top.winner == .first
                || (top.winner == .tie && !texts.blobBytes(5).lexicographicallyPrecedes(texts.blobBytes(3)))
            let (c, r) = chosenIsFirst ? (2, 4) : (4, 2)
            var meta = PreferenceMeta()
            meta.promptSHA256 = Hex.encode(texts.blobBytes(1))
            meta.chosenSHA256 = Hex.encode(texts.blobBytes(c + 1))
            meta.rejectedSHA256 = Hex.encode(texts.blobBytes(r + 1))
            meta.isTie = top.winner == .tie
            meta.tieKind = meta.isTie ? .plain : nil
            meta.strength = top.strength.flatMap { Strength(rawValue: Int($0.rounded())) }
            meta.votes = total
            meta.agreement = (share * 10_000).rounded() / 10_000
            w.reset()
            Store.writeRecord(&w, options.format, prompt: texts.textBytes(0), chosen: texts.textBytes(c),
                              rejected: texts.textBytes(r), margin: meta.strength, withMargin: withMargin, meta: &meta)
            try w.bytes.withUnsafeBytes { try sink.write($0) }
            summary.records += 1
            if meta.isTie { summary.ties += 1 }
        }

        while try groups.step() {
            let first = groups.int64(0), second = groups.int64(1)
            if pair == nil || pair!.first != first || pair!.second != second {
                try flush()
                pair = (first, second, groups.int64(2))
                votes.removeAll(keepingCapacity: true)
            }
            votes.append(Vote(winner: Winner(rawValue: groups.text(3)) ?? .tie, count: groups.int(4),
                              strength: groups.optionalDouble(5)))
        }
        try flush()
    }
}

import RLHFCore
import RLHFData

public struct ImportOptions: Sendable {
    public var kind: ImportKind
    /// nil: each record decides (a `prompt` field means TRL, its absence HH).
    public var format: PreferenceFormat?
    /// Given to new prompts (and to existing prompts that have none).
    public var split: Split?
    /// Annotator for imported labels whose `meta` names none.
    public var annotator: String?

    public init(kind: ImportKind, format: PreferenceFormat? = nil, split: Split? = nil, annotator: String? = nil) {
        self.kind = kind
        self.format = format
        self.split = split
        self.annotator = annotator
    }
}

/// What one import did. A record is new when its principal row was: the prompt (prompts), the SFT
/// provenance (sft) or the label (preferences).
public struct ImportSummary: Sendable, Equatable {
    public var records = 0
    public var newRecords = 0
    public var existingRecords = 0
    public var newPrompts = 0
    public var newCompletions = 0
    public var blankLines = 0
    /// TRL margins that are not in our strength table (kept as unknown strength).
    public var marginsNotInTable = 0
    /// Existing prompts whose split differs from `--split` (kept; use `rlhf split --reassign`).
    public var splitConflicts = 0
}

extension Store {
    /// Imports one JSONL file in one transaction: any bad line aborts the whole file with
    /// `FILE:LINE: what is wrong` and leaves the store as it was. Lines are parsed and hashed on a
    /// second thread (`ImportPipeline`) while this one writes; preference records are written in
    /// chunks of `ChunkStatements.rows` with multi-row statements.
    public func importJSONL(_ reader: LineReader, file: String, options: ImportOptions) throws -> ImportSummary {
        let fileName = file.split(separator: "/").last.map(String.init) ?? file
        let pipeline = ImportPipeline(reader: reader, kind: options.kind, format: options.format)
        defer { pipeline.cancel() }
        var writer = try ImportWriter(store: self, file: file, fileName: fileName, options: options, now: Timestamp.now())
        // Memory-mapped reads cost a WAL lookup and a mapping on every page a read cursor (the
        // foreign-key checks) touches inside a write transaction: 3% of the writer's instructions.
        try db.execute("PRAGMA mmap_size = 0")
        defer { try? db.execute("PRAGMA mmap_size = \(Store.mmapSize)") }
        try db.write {
            // Foreign keys are checked once at COMMIT instead of after every statement: a statement
            // that may abort needs a statement journal, which cost a third of an import. Our inserts
            // take their ids from rows just written; a violation still aborts the whole file.
            try db.execute("PRAGMA defer_foreign_keys = ON")
            while let batch = pipeline.next() {
                for (offset, item) in batch.items.enumerated() {
                    let line = batch.firstLine + offset
                    switch item {
                    case let .record(.preference(prompt, chosen, rejected, margin, meta)):
                        try writer.add(PendingPreference(line: line, prompt: prompt, chosen: chosen, rejected: rejected,
                                                         margin: margin, meta: meta))
                    case .record(let record):
                        try writer.flush()
                        try writer.atLine(line) { try $0.write(record) }
                    case .bad(let error):
                        try writer.flush()
                        throw ImportError(file: file, line: line, message: error.message)
                    case .readFailure(let message):
                        try writer.flush()
                        throw ImportError(file: file, line: line, message: message)
                    }
                }
            }
            try writer.flush()
        }
        return writer.summary
    }

    var chunkStatements: ChunkStatements {
        get throws {
            if let chunkStatementsCache { return chunkStatementsCache }
            let made = try ChunkStatements(db)
            chunkStatementsCache = made
            return made
        }
    }
}

/// Writes parsed records of one import; holds the per-import caches.
struct ImportWriter {
    let store: Store
    let file: String
    let fileName: String
    let options: ImportOptions
    let now: String
    /// `imported:<file name>`, the source of labels whose meta names none.
    let defaultSource: String
    var summary = ImportSummary()
    var promptIDs: [Digest: Int64] = [:]
    var arrival: Int64? = nil
    let insertLabel: Statement
    /// Preference records waiting for a full chunk.
    var pending: [PendingPreference] = []
    let arena = BindArena()
    /// `now` and `defaultSource` as bytes that live as long as the writer (bound without copies).
    let constants = BindArena(capacity: 256)
    let nowBytes: UnsafeRawBufferPointer
    let defaultSourceBytes: UnsafeRawBufferPointer
    var chunkPromptIDs: [Int64] = []
    var chunkCompletionIDs: [Int64] = []

    init(store: Store, file: String, fileName: String, options: ImportOptions, now: String) throws {
        self.store = store
        self.file = file
        self.fileName = fileName
        self.options = options
        self.now = now
        defaultSource = "imported:\(fileName)"
        constants.reserve(now.utf8.count + defaultSource.utf8.count)
        nowBytes = constants.copy(now)
        defaultSourceBytes = constants.copy(defaultSource)
        insertLabel = try store.db.prepareUncached("""
            INSERT INTO labels (prompt_id, first_id, second_id, winner, tie_kind, strength, shown_first,
                                annotator_id, source, external_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        pending.reserveCapacity(ChunkStatements.rows)
    }

    /// Runs `body`, turning record and SQLite errors into `FILE:LINE: message`.
    mutating func atLine(_ line: Int, _ body: (inout ImportWriter) throws -> Void) throws {
        do {
            try body(&self)
        } catch let error as RecordError {
            throw ImportError(file: file, line: line, message: error.message)
        } catch let error as SQLiteError {
            throw ImportError(file: file, line: line, message: "could not be stored: \(error)")
        }
    }

    mutating func write(_ record: ImportRecord) throws {
        let isNew: Bool
        switch record {
        case .blank:
            summary.blankLines += 1
            return
        case let .prompt(text, metadata):
            isNew = try prompt(text, metadata: metadata).isNew
        case let .sft(promptText, completionText):
            let p = try prompt(promptText)
            let c = try store.upsertCompletion(promptID: p.id, text: completionText, now: now)
            if c.isNew { summary.newCompletions += 1 }
            isNew = try store.addProvenance(completionID: c.id, arrivalID: arrivalID(.sft))
        case let .preference(promptText, chosenText, rejectedText, margin, meta):
            isNew = try preference(PendingPreference(line: 0, prompt: promptText, chosen: chosenText, rejected: rejectedText,
                                                     margin: margin, meta: meta))
        }
        summary.records += 1
        if isNew { summary.newRecords += 1 } else { summary.existingRecords += 1 }
    }

    mutating func arrivalID(_ origin: Origin) throws -> Int64 {
        if let arrival { return arrival }
        let id = try store.arrivalID(origin: origin, source: "import:\(fileName)", now: now)
        arrival = id
        return id
    }

    mutating func prompt(_ text: HashedText, metadata: String? = nil) throws -> (id: Int64, isNew: Bool) {
        if let id = promptIDs[text.digest] { return (id, false) }
        var conflict = false
        let inserted = try store.upsertPrompt(text, source: "import:\(fileName)", split: options.split, metadata: metadata,
                                              now: now, splitConflict: &conflict)
        if inserted.isNew { summary.newPrompts += 1 }
        if conflict { summary.splitConflicts += 1 }
        promptIDs[text.digest] = inserted.id
        return (inserted.id, inserted.isNew)
    }

    /// A label row's values, given the ids of its two completions.
    struct LabelValues {
        var first: Int64
        var second: Int64
        var winner: StaticString
        var tieKind: StaticString?
        var strength: Int64?
        var shownFirst: StaticString?
        var annotator: Int64?
        /// nil: the file's default source.
        var source: String?
        var externalID: String
    }

    mutating func labelValues(_ record: PendingPreference, chosen: Int64, rejected: Int64) throws -> LabelValues {
        let meta = record.meta
        var strength = meta?.strength
        if meta == nil, let margin = record.margin {
            strength = MarginTable.strength(forMargin: margin)
            if strength == nil && margin != MarginTable.unknown { summary.marginsNotInTable += 1 }
        }
        let chosenIsFirst = chosen < rejected
        let isTie = meta?.isTie ?? false
        let winner: StaticString = isTie ? "tie" : (chosenIsFirst ? "first" : "second")
        var tieKind: StaticString? = nil
        if isTie {
            switch meta?.tieKind ?? .plain {
            case .plain: tieKind = "plain"
            case .bothGood: tieKind = "both-good"
            case .bothBad: tieKind = "both-bad"
            }
        }
        let shownFirst: StaticString? = meta?.chosenShownFirst.map { $0 == chosenIsFirst ? "first" : "second" }
        let annotator = try (meta?.annotator ?? options.annotator).map { try store.annotatorID($0) }
        return LabelValues(first: min(chosen, rejected), second: max(chosen, rejected), winner: winner, tieKind: tieKind,
                           strength: strength.map { Int64($0.rawValue) }, shownFirst: shownFirst, annotator: annotator,
                           source: meta?.source, externalID: meta?.id ?? "")
    }

    /// One preference record, one statement per row: the path for chunk remainders, and for finding
    /// the line of a chunk that failed.
    mutating func preference(_ record: PendingPreference) throws -> Bool {
        let p = try prompt(record.prompt)
        let chosen = try store.upsertCompletion(promptID: p.id, text: record.chosen, now: now)
        let rejected = try store.upsertCompletion(promptID: p.id, text: record.rejected, now: now)
        summary.newCompletions += (chosen.isNew ? 1 : 0) + (rejected.isNew ? 1 : 0)
        let arrival = try arrivalID(.imported)
        try store.addProvenance(completionID: chosen.id, arrivalID: arrival)
        try store.addProvenance(completionID: rejected.id, arrivalID: arrival)
        let v = try labelValues(record, chosen: chosen.id, rejected: rejected.id)
        let insert = insertLabel
        try insert.bind(p.id, at: 1)
        try insert.bind(v.first, at: 2)
        try insert.bind(v.second, at: 3)
        try insert.bind(v.winner.description, at: 4)
        try insert.bind(v.tieKind?.description, at: 5)
        try insert.bind(v.strength, at: 6)
        try insert.bind(v.shownFirst?.description, at: 7)
        try insert.bind(v.annotator, at: 8)
        try insert.bind(v.source ?? defaultSource, at: 9)
        try insert.bind(v.externalID, at: 10)
        try insert.bind(now, at: 11)
        try insert.execute()
        return store.db.changes == 1
    }

    // MARK: Chunks

    mutating func add(_ record: PendingPreference) throws {
        pending.append(record)
        if pending.count == ChunkStatements.rows { try flush() }
    }

    /// Writes the pending preference records: a full chunk with multi-row statements, a remainder
    /// one row at a time. When a chunk fails, its rows are written again one at a time (the failed
    /// statement was rolled back by its statement journal), which finds the line that fails; if
    /// none does, the chunk's first line carries the error.
    mutating func flush() throws {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        if pending.count == ChunkStatements.rows {
            do {
                try writeChunk()
                return
            } catch {
                try writeOneByOne()
                throw ImportError(file: file, line: pending[0].line, message: "could not be stored: \(error)")
            }
        }
        try writeOneByOne()
    }

    mutating func writeOneByOne() throws {
        for record in pending {
            try atLine(record.line) { writer in
                let isNew = try writer.preference(record)
                writer.summary.records += 1
                if isNew { writer.summary.newRecords += 1 } else { writer.summary.existingRecords += 1 }
            }
        }
    }

    mutating func writeChunk() throws {
        let n = pending.count
        let s = try store.chunkStatements
        let arrival = try arrivalID(.imported)

        // Prompts, in file order (cached after their first line).
        chunkPromptIDs.removeAll(keepingCapacity: true)
        for record in pending { chunkPromptIDs.append(try prompt(record.prompt).id) }

        // Every text bound below is copied once into the arena.
        var bytes = 0
        for record in pending {
            bytes += record.chosen.text.utf8.count + record.rejected.text.utf8.count + 64
            bytes += (record.meta?.source?.utf8.count ?? 0) + (record.meta?.id?.utf8.count ?? 0)
        }
        arena.reset()
        arena.reserve(bytes)

        // Completions. When every row is new, SQLite gave them consecutive ids in VALUES order
        // (checked on the first and the last); otherwise each is looked up by (prompt, hash),
        // with the text compared, as the one-row path does.
        let c = s.completions
        try c.bindTextNoCopy(nowBytes, at: 1)
        for (i, record) in pending.enumerated() {
            let k = 3 * (2 * i) + 2
            try c.bind(chunkPromptIDs[i], at: k)
            try c.bindTextNoCopy(arena.copy(record.chosen.text), at: k + 1)
            try c.bindBlobNoCopy(arena.copy(record.chosen.digest), at: k + 2)
            try c.bind(chunkPromptIDs[i], at: k + 3)
            try c.bindTextNoCopy(arena.copy(record.rejected.text), at: k + 4)
            try c.bindBlobNoCopy(arena.copy(record.rejected.digest), at: k + 5)
        }
        try c.execute()
        let inserted = store.db.changes
        chunkCompletionIDs.removeAll(keepingCapacity: true)
        if inserted == 2 * n {
            let first = store.db.lastInsertRowID - Int64(2 * n) + 1
            for k in 0..<(2 * n) { chunkCompletionIDs.append(first + Int64(k)) }
            guard try store.completionID(promptID: chunkPromptIDs[0], text: pending[0].chosen) == chunkCompletionIDs[0],
                  try store.completionID(promptID: chunkPromptIDs[n - 1], text: pending[n - 1].rejected) == chunkCompletionIDs[2 * n - 1]
            else { throw StoreIntegrityError.vanished("completion") }
        } else {
            for (i, record) in pending.enumerated() {
                for text in [record.chosen, record.rejected] {
                    guard let id = try store.completionID(promptID: chunkPromptIDs[i], text: text) else {
                        throw StoreIntegrityError.vanished("completion")
                    }
                    chunkCompletionIDs.append(id)
                }
            }
        }

        // Provenance: one row per completion and this arrival.
        let v = s.provenance
        try v.bind(arrival, at: 1)
        for (k, id) in chunkCompletionIDs.enumerated() { try v.bind(id, at: k + 2) }
        try v.execute()

        // Labels.
        let l = s.labels
        try l.bindTextNoCopy(nowBytes, at: 1)
        for (i, record) in pending.enumerated() {
            let x = try labelValues(record, chosen: chunkCompletionIDs[2 * i], rejected: chunkCompletionIDs[2 * i + 1])
            let b = 10 * i + 2
            try l.bind(chunkPromptIDs[i], at: b)
            try l.bind(x.first, at: b + 1)
            try l.bind(x.second, at: b + 2)
            try l.bindStatic(x.winner, at: b + 3)
            if let t = x.tieKind { try l.bindStatic(t, at: b + 4) } else { try l.bindNull(at: b + 4) }
            try l.bind(x.strength, at: b + 5)
            if let t = x.shownFirst { try l.bindStatic(t, at: b + 6) } else { try l.bindNull(at: b + 6) }
            try l.bind(x.annotator, at: b + 7)
            try l.bindTextNoCopy(x.source.map { arena.copy($0) } ?? defaultSourceBytes, at: b + 8)
            try l.bindTextNoCopy(arena.copy(x.externalID), at: b + 9)
        }
        try l.execute()
        let newLabels = store.db.changes
        summary.newCompletions += inserted
        summary.records += n
        summary.newRecords += newLabels
        summary.existingRecords += n - newLabels
    }
}

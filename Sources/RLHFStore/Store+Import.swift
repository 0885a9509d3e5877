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
    /// An input file at least this big is imported with a rollback journal when no other
    /// connection has the store open (`Store+BulkJournal.swift`); nil: always in WAL.
    public var bulkJournalMinimumBytes: Int?

    public init(kind: ImportKind, format: PreferenceFormat? = nil, split: Split? = nil, annotator: String? = nil,
                bulkJournalMinimumBytes: Int? = Store.defaultBulkJournalMinimumBytes) {
        self.kind = kind
        self.format = format
        self.split = split
        self.annotator = annotator
        self.bulkJournalMinimumBytes = bulkJournalMinimumBytes
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
    /// Written with a rollback journal instead of the WAL (`Store+BulkJournal.swift`).
    public var usedRollbackJournal = false
}

extension Store {
    /// Imports one JSONL file in one transaction: any bad line aborts the whole file with
    /// `FILE:LINE: what is wrong` and leaves the store as it was. A big file into a store nobody else
    /// has open is written with a rollback journal (`withBulkJournal`). Lines are parsed and hashed on a
    /// second thread (`ImportPipeline`) while this one writes; preference records are written in
    /// chunks of `ChunkStatements.rows` with multi-row statements.
    public func importJSONL(_ reader: LineReader, file: String, options: ImportOptions) throws -> ImportSummary {
        try withBulkJournal(file: file, minimumBytes: options.bulkJournalMinimumBytes) { rollbackJournal in
            var summary = try importInOneTransaction(reader, file: file, options: options)
            summary.usedRollbackJournal = rollbackJournal
            return summary
        }
    }

    private func importInOneTransaction(_ reader: LineReader, file: String, options: ImportOptions) throws -> ImportSummary {
        let fileName = file.split(separator: "/").last.map(String.init) ?? file
        let pipeline = ImportPipeline(reader: reader, kind: options.kind, format: options.format)
        defer { pipeline.cancel() }
        var writer = try ImportWriter(store: self, file: file, fileName: fileName, options: options, now: Timestamp.now())
        // Memory-mapped reads cost a WAL lookup and a mapping on every page a read cursor (the
        // foreign-key checks) touches inside a write transaction: 3% of the writer's instructions.
        try db.execute("PRAGMA mmap_size = 0")
        defer {
            try? db.execute("PRAGMA mmap_size = \(Store.mmapSize)")
            // The chunk statements were bound to this import's buffers without copies.
            chunkStatementsCache?.clearBindings()
        }
        try db.write {
            // Foreign keys are counted and checked once at COMMIT instead of failing the statement
            // that breaks one. Our inserts take their ids from rows just written; a violation still
            // aborts the whole file.
            try db.execute("PRAGMA defer_foreign_keys = ON")
            try writer.begin()
            while let batch = pipeline.next() {
                try writer.write(batch)
                pipeline.recycle(batch)
            }
            try writer.finish()
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
    /// Prompt ids by the pipeline's prompt number (0: not known yet).
    var promptIDsByNumber: [Int64] = []
    var arrival: Int64? = nil
    /// Completions with an id from here on were created by this import (`begin`), so they arrived
    /// with its arrival: `finish` records them as one provenance run.
    var firstNewCompletionID: Int64 = 1
    let insertLabel: Statement
    let findRun: Statement
    /// Meta strings of a chunk, bound without copies.
    let arena = BindArena()
    /// `now` and `defaultSource` as bytes that live as long as the writer (bound without copies).
    let constants = BindArena(capacity: 256)
    let nowBytes: UnsafeRawBufferPointer
    let defaultSourceBytes: UnsafeRawBufferPointer
    var chunkRows: [Int] = []
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
        findRun = try store.db.prepareUncached("""
            SELECT 1 FROM completion_provenance_runs
            WHERE arrival_id = ?1 AND first_completion_id <= ?2 AND last_completion_id >= ?2
            """)
        chunkRows.reserveCapacity(ChunkStatements.rows)
    }

    /// Inside the import's transaction, before the first record.
    mutating func begin() throws {
        firstNewCompletionID = (try store.db.scalarInt("SELECT max(id) FROM completions") ?? 0) + 1
    }

    /// Inside the import's transaction, after the last record: the provenance of every completion
    /// this import created, as one run (ids first...last; completion_origins lists each of them).
    mutating func finish() throws {
        guard let last = try store.db.scalarInt("SELECT max(id) FROM completions"), last >= firstNewCompletionID else { return }
        guard let arrival else { throw StoreIntegrityError.vanished("arrival") }
        try store.db.run("""
            INSERT INTO completion_provenance_runs (arrival_id, first_completion_id, last_completion_id) VALUES (?, ?, ?)
            """, [.int(arrival), .int(firstNewCompletionID), .int(last)])
    }

    /// Records that `completion` (just `created`, or found) arrived with this import's arrival; true
    /// when that is new. A completion this import created is covered by the run `finish` writes
    /// (found again, it came on an earlier line of this file). One that existed gets a provenance
    /// row, unless an earlier import of the same arrival created it (that import's run covers it).
    mutating func arrived(_ completion: Int64, created: Bool, arrival: Int64) throws -> Bool {
        if created { return true }
        if completion >= firstNewCompletionID { return false }
        try findRun.bind(arrival, at: 1)
        try findRun.bind(completion, at: 2)
        defer { try? findRun.reset() }
        if try findRun.step() { return false }
        return try store.addProvenance(completionID: completion, arrivalID: arrival)
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

    /// One batch of lines, in order. Preference records go in chunks of `ChunkStatements.rows`
    /// (within the batch); the rest of a batch's preferences and other records one at a time.
    mutating func write(_ batch: ImportPipeline.Batch) throws {
        let packed = batch.preferences
        chunkRows.removeAll(keepingCapacity: true)
        for (offset, item) in batch.items.enumerated() {
            let line = batch.firstLine + offset
            switch item {
            case .preference(let row):
                chunkRows.append(row)
                if chunkRows.count == ChunkStatements.rows { try flush(packed) }
            case .record(let record):
                try flush(packed)
                try atLine(line) { try $0.write(record) }
            case .bad(let error):
                try flush(packed)
                throw ImportError(file: file, line: line, message: error.message)
            case .readFailure(let message):
                try flush(packed)
                throw ImportError(file: file, line: line, message: message)
            }
        }
        try flush(packed)
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
            isNew = try arrived(c.id, created: c.isNew, arrival: arrivalID(.sft))
        case let .preference(promptText, chosenText, rejectedText, margin, meta):
            isNew = try preference(PendingPreference(line: 0, prompt: promptText, promptNumber: nil, chosen: chosenText,
                                                     rejected: rejectedText, margin: margin, meta: meta))
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

    /// A preference's prompt id: by the pipeline's prompt number when it has one (an array
    /// lookup), else by digest.
    mutating func promptID(number: Int32?, _ text: () -> HashedText) throws -> Int64 {
        if let number {
            let n = Int(number)
            if n < promptIDsByNumber.count, promptIDsByNumber[n] != 0 { return promptIDsByNumber[n] }
            let id = try prompt(text()).id
            if n >= promptIDsByNumber.count { promptIDsByNumber.append(contentsOf: repeatElement(0, count: n + 1 - promptIDsByNumber.count)) }
            promptIDsByNumber[n] = id
            return id
        }
        return try prompt(text()).id
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
        var externalID: String?
    }

    mutating func labelValues(margin: Double?, meta: PreferenceMeta?, chosen: Int64, rejected: Int64) throws -> LabelValues {
        var strength = meta?.strength
        if meta == nil, let margin {
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
                           source: meta?.source, externalID: meta?.id)
    }

    /// One preference record, one statement per row: the path for chunk remainders, and for finding
    /// the line of a chunk that failed.
    mutating func preference(_ record: PendingPreference) throws -> Bool {
        let p = try promptID(number: record.promptNumber) { record.prompt }
        let chosen = try store.upsertCompletion(promptID: p, text: record.chosen, now: now)
        let rejected = try store.upsertCompletion(promptID: p, text: record.rejected, now: now)
        summary.newCompletions += (chosen.isNew ? 1 : 0) + (rejected.isNew ? 1 : 0)
        let arrival = try arrivalID(.imported)
        _ = try arrived(chosen.id, created: chosen.isNew, arrival: arrival)
        _ = try arrived(rejected.id, created: rejected.isNew, arrival: arrival)
        let v = try labelValues(margin: record.margin, meta: record.meta, chosen: chosen.id, rejected: rejected.id)
        let insert = insertLabel
        try insert.bind(p, at: 1)
        try insert.bind(v.first, at: 2)
        try insert.bind(v.second, at: 3)
        try insert.bind(v.winner.description, at: 4)
        try insert.bind(v.tieKind?.description, at: 5)
        try insert.bind(v.strength, at: 6)
        try insert.bind(v.shownFirst?.description, at: 7)
        try insert.bind(v.annotator, at: 8)
        try insert.bind(v.source ?? defaultSource, at: 9)
        try insert.bind(v.externalID ?? "", at: 10)
        try insert.bind(now, at: 11)
        try insert.execute()
        return store.db.changes == 1
    }

    // MARK: Chunks

    /// Writes the collected preference rows: a full chunk with multi-row statements, fewer one row
    /// at a time. When a chunk fails, its rows are written again one at a time (the failed
    /// statement was rolled back by its statement journal), which finds the line that fails; if
    /// none does, the chunk's first line carries the error.
    mutating func flush(_ packed: PackedPreferences) throws {
        guard !chunkRows.isEmpty else { return }
        defer { chunkRows.removeAll(keepingCapacity: true) }
        if chunkRows.count == ChunkStatements.rows {
            do {
                try writeChunk(packed)
                return
            } catch {
                try writeOneByOne(packed)
                throw ImportError(file: file, line: packed.rows[chunkRows[0]].line, message: "could not be stored: \(error)")
            }
        }
        try writeOneByOne(packed)
    }

    mutating func writeOneByOne(_ packed: PackedPreferences) throws {
        for index in chunkRows {
            let row = packed.rows[index]
            let record = PendingPreference(line: row.line, prompt: packed.hashed(row.prompt), promptNumber: row.promptNumber,
                                           chosen: packed.hashed(row.chosen), rejected: packed.hashed(row.rejected),
                                           margin: row.margin, meta: packed.meta(index))
            try atLine(record.line) { writer in
                let isNew = try writer.preference(record)
                writer.summary.records += 1
                if isNew { writer.summary.newRecords += 1 } else { writer.summary.existingRecords += 1 }
            }
        }
    }

    mutating func writeChunk(_ packed: PackedPreferences) throws {
        let n = chunkRows.count
        let s = try store.chunkStatements
        let arrival = try arrivalID(.imported)

        // Prompts, in file order (known after their first line).
        chunkPromptIDs.removeAll(keepingCapacity: true)
        for index in chunkRows {
            let row = packed.rows[index]
            chunkPromptIDs.append(try promptID(number: row.promptNumber) { packed.hashed(row.prompt) })
        }

        // Completions, bound straight from the batch's bytes. When every row is new, SQLite gave
        // them consecutive ids in VALUES order (checked on the first and the last); otherwise each is
        // looked up by (prompt, hash), with the text compared, as the one-row path does.
        let c = s.completions
        try c.bindTextNoCopy(nowBytes, at: 1)
        for (i, index) in chunkRows.enumerated() {
            let row = packed.rows[index]
            let k = 3 * (2 * i) + 2
            try c.bind(chunkPromptIDs[i], at: k)
            try c.bindTextNoCopy(packed.bytes(row.chosen), at: k + 1)
            try c.bindBlobNoCopy(packed.digestBytes(row.chosen), at: k + 2)
            try c.bind(chunkPromptIDs[i], at: k + 3)
            try c.bindTextNoCopy(packed.bytes(row.rejected), at: k + 4)
            try c.bindBlobNoCopy(packed.digestBytes(row.rejected), at: k + 5)
        }
        try c.execute()
        let inserted = store.db.changes
        chunkCompletionIDs.removeAll(keepingCapacity: true)
        if inserted == 2 * n {
            let first = store.db.lastInsertRowID - Int64(2 * n) + 1
            for k in 0..<(2 * n) { chunkCompletionIDs.append(first + Int64(k)) }
            let head = packed.rows[chunkRows[0]], tail = packed.rows[chunkRows[n - 1]]
            guard try store.completionID(promptID: chunkPromptIDs[0], digest: head.chosen.digest, bytes: packed.bytes(head.chosen)) == chunkCompletionIDs[0],
                  try store.completionID(promptID: chunkPromptIDs[n - 1], digest: tail.rejected.digest, bytes: packed.bytes(tail.rejected)) == chunkCompletionIDs[2 * n - 1]
            else { throw StoreIntegrityError.vanished("completion") }
        } else {
            for (i, index) in chunkRows.enumerated() {
                let row = packed.rows[index]
                for text in [row.chosen, row.rejected] {
                    guard let id = try store.completionID(promptID: chunkPromptIDs[i], digest: text.digest, bytes: packed.bytes(text)) else {
                        throw StoreIntegrityError.vanished("completion")
                    }
                    chunkCompletionIDs.append(id)
                }
            }
        }

        // Provenance: completions that existed before this import (the rest are in its run).
        if inserted < 2 * n {
            for id in chunkCompletionIDs where id < firstNewCompletionID { _ = try arrived(id, created: false, arrival: arrival) }
        }

        // Labels.
        var metaBytes = 0
        for index in chunkRows where packed.rows[index].hasMeta {
            let meta = packed.meta(index)
            metaBytes += (meta?.source?.utf8.count ?? 0) + (meta?.id?.utf8.count ?? 0)
        }
        arena.reset()
        arena.reserve(metaBytes)
        let l = s.labels
        try l.bindTextNoCopy(nowBytes, at: 1)
        for (i, index) in chunkRows.enumerated() {
            let row = packed.rows[index]
            let meta = packed.meta(index)
            let x = try labelValues(margin: row.margin, meta: meta, chosen: chunkCompletionIDs[2 * i], rejected: chunkCompletionIDs[2 * i + 1])
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
            if let id = x.externalID { try l.bindTextNoCopy(arena.copy(id), at: b + 9) } else { try l.bindStatic("", at: b + 9) }
        }
        try l.execute()
        let newLabels = store.db.changes
        summary.newCompletions += inserted
        summary.records += n
        summary.newRecords += newLabels
        summary.existingRecords += n - newLabels
    }
}

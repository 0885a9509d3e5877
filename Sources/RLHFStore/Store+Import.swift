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
    /// second thread (`ImportPipeline`) while this one writes.
    public func importJSONL(_ reader: LineReader, file: String, options: ImportOptions) throws -> ImportSummary {
        let fileName = file.split(separator: "/").last.map(String.init) ?? file
        let pipeline = ImportPipeline(reader: reader, kind: options.kind, format: options.format)
        defer { pipeline.cancel() }
        var writer = try ImportWriter(store: self, fileName: fileName, options: options, now: Timestamp.now())
        try db.write {
            // Foreign keys are checked once at COMMIT instead of after every statement: a statement
            // that may abort needs a statement journal, which cost a third of an import. Our inserts
            // take their ids from rows just written; a violation still aborts the whole file.
            try db.execute("PRAGMA defer_foreign_keys = ON")
            while let batch = pipeline.next() {
                for (offset, item) in batch.items.enumerated() {
                    let line = batch.firstLine + offset
                    do {
                        switch item {
                        case .record(let record): try writer.write(record)
                        case .bad(let error): throw error
                        case .readFailure(let message): throw ImportError(file: file, line: line, message: message)
                        }
                    } catch let error as RecordError {
                        throw ImportError(file: file, line: line, message: error.message)
                    } catch let error as SQLiteError {
                        throw ImportError(file: file, line: line, message: "could not be stored: \(error)")
                    }
                }
            }
        }
        return writer.summary
    }
}

/// Writes parsed records of one import; holds the per-import caches.
struct ImportWriter {
    let store: Store
    let fileName: String
    let options: ImportOptions
    let now: String
    var summary = ImportSummary()
    var promptIDs: [Digest: Int64] = [:]
    var arrival: Int64? = nil
    let insertLabel: Statement

    init(store: Store, fileName: String, options: ImportOptions, now: String) throws {
        self.store = store
        self.fileName = fileName
        self.options = options
        self.now = now
        insertLabel = try store.db.prepareUncached("""
            INSERT INTO labels (prompt_id, first_id, second_id, winner, tie_kind, strength, shown_first,
                                annotator_id, source, external_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
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
            isNew = try preference(promptText, chosenText, rejectedText, margin, meta)
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

    mutating func preference(_ promptText: HashedText, _ chosenText: HashedText, _ rejectedText: HashedText,
                             _ margin: Double?, _ meta: PreferenceMeta?) throws -> Bool {
        let p = try prompt(promptText)
        let chosen = try store.upsertCompletion(promptID: p.id, text: chosenText, now: now)
        let rejected = try store.upsertCompletion(promptID: p.id, text: rejectedText, now: now)
        summary.newCompletions += (chosen.isNew ? 1 : 0) + (rejected.isNew ? 1 : 0)
        let arrival = try arrivalID(.imported)
        try store.addProvenance(completionID: chosen.id, arrivalID: arrival)
        try store.addProvenance(completionID: rejected.id, arrivalID: arrival)

        var strength = meta?.strength
        if meta == nil, let margin {
            strength = MarginTable.strength(forMargin: margin)
            if strength == nil && margin != MarginTable.unknown { summary.marginsNotInTable += 1 }
        }
        let chosenIsFirst = chosen.id < rejected.id
        let isTie = meta?.isTie ?? false
        let winner: Winner = isTie ? .tie : (chosenIsFirst ? .first : .second)
        let shownFirst: Winner? = meta?.chosenShownFirst.map { $0 == chosenIsFirst ? .first : .second }
        let annotator = try (meta?.annotator ?? options.annotator).map { try store.annotatorID($0) }
        let insert = insertLabel
        try insert.bind(p.id, at: 1)
        try insert.bind(min(chosen.id, rejected.id), at: 2)
        try insert.bind(max(chosen.id, rejected.id), at: 3)
        try insert.bind(winner.rawValue, at: 4)
        try insert.bind(isTie ? (meta?.tieKind ?? .plain).rawValue : nil, at: 5)
        try insert.bind(strength.map { Int64($0.rawValue) }, at: 6)
        try insert.bind(shownFirst?.rawValue, at: 7)
        try insert.bind(annotator, at: 8)
        try insert.bind(meta?.source ?? "imported:\(fileName)", at: 9)
        try insert.bind(meta?.id ?? "", at: 10)
        try insert.bind(now, at: 11)
        try insert.execute()
        return store.db.changes == 1
    }
}

import RLHFCore
import RLHFData

public enum ImportKind: String, CaseIterable, Sendable { case prompts, sft, preferences }
public enum PreferenceFormat: String, CaseIterable, Sendable { case trl, hh }

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
    /// `FILE:LINE: what is wrong` and leaves the store as it was.
    public func importJSONL(_ reader: LineReader, file: String, options: ImportOptions) throws -> ImportSummary {
        let fileName = file.split(separator: "/").last.map(String.init) ?? file
        var summary = ImportSummary()
        var promptIDs: [[UInt8]: Int64] = [:]   // hash -> id, for files that repeat prompts
        try db.write {
            while true {
                let more = try reader.nextLine { line -> Bool in
                    let lineNumber = reader.lineNumber
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                        summary.blankLines += 1
                        return true
                    }
                    do {
                        let value: JSONValue
                        do { value = try JSONParser.parse(line) } catch let error as JSONParseError {
                            throw RecordError("invalid JSON at column \(error.column): \(error.message)")
                        }
                        guard let object = value.objectValue else {
                            throw RecordError("expected a JSON object, got \(value.typeName)")
                        }
                        summary.records += 1
                        let isNew: Bool
                        switch options.kind {
                        case .prompts:
                            isNew = try importPrompt(TRLFormat.parsePrompt(object), fileName, options, &summary, &promptIDs)
                        case .sft:
                            isNew = try importSFT(TRLFormat.parseSFT(object), fileName, options, &summary, &promptIDs)
                        case .preferences:
                            let record: PreferenceRecord
                            switch options.format ?? (object["prompt"] != nil ? .trl : .hh) {
                            case .trl: record = try TRLFormat.parsePreference(object)
                            case .hh: record = try HHFormat.parse(object)
                            }
                            isNew = try importPreference(record, fileName, options, &summary, &promptIDs)
                        }
                        if isNew { summary.newRecords += 1 } else { summary.existingRecords += 1 }
                    } catch let error as RecordError {
                        throw ImportError(file: file, line: lineNumber, message: error.message)
                    } catch let error as SQLiteError {
                        throw ImportError(file: file, line: lineNumber, message: "could not be stored: \(error)")
                    }
                    return true
                }
                if more == nil { break }
            }
        }
        return summary
    }

    private func prompt(_ text: String, _ fileName: String, _ options: ImportOptions, metadata: String? = nil,
                        _ summary: inout ImportSummary, _ cache: inout [[UInt8]: Int64]) throws -> (id: Int64, hash: [UInt8], isNew: Bool) {
        let hash = SHA256.hash(text)
        if let id = cache[hash] { return (id, hash, false) }
        let inserted = try upsertPrompt(text, hash: hash, source: "import:\(fileName)", split: options.split, metadata: metadata)
        if inserted.isNew {
            summary.newPrompts += 1
        } else if let split = options.split,
                  let existing = try db.scalarText("SELECT split FROM prompts WHERE id = ?", [.int(inserted.id)]),
                  existing != split.rawValue {
            summary.splitConflicts += 1
        }
        cache[hash] = inserted.id
        return (inserted.id, hash, inserted.isNew)
    }

    private func importPrompt(_ record: PromptRecord, _ fileName: String, _ options: ImportOptions,
                              _ summary: inout ImportSummary, _ cache: inout [[UInt8]: Int64]) throws -> Bool {
        try prompt(record.prompt, fileName, options, metadata: record.metadata?.text, &summary, &cache).isNew
    }

    private func importSFT(_ record: SFTRecord, _ fileName: String, _ options: ImportOptions,
                           _ summary: inout ImportSummary, _ cache: inout [[UInt8]: Int64]) throws -> Bool {
        let p = try prompt(record.prompt, fileName, options, &summary, &cache)
        let c = try upsertCompletion(promptID: p.id, text: record.completion, hash: SHA256.hash(record.completion))
        if c.isNew { summary.newCompletions += 1 }
        return try addProvenance(completionID: c.id, origin: .sft, source: "import:\(fileName)")
    }

    private func importPreference(_ record: PreferenceRecord, _ fileName: String, _ options: ImportOptions,
                                  _ summary: inout ImportSummary, _ cache: inout [[UInt8]: Int64]) throws -> Bool {
        let meta = record.meta
        let chosenHash = SHA256.hash(record.chosen)
        let rejectedHash = SHA256.hash(record.rejected)
        if chosenHash == rejectedHash { throw RecordError("chosen and rejected are the same text, so there is no preference to store") }
        let p = try prompt(record.prompt, fileName, options, &summary, &cache)
        if let expected = meta?.promptSHA256, expected != Hex.encode(p.hash) {
            throw RecordError("field \"meta\".\"prompt_sha256\" does not match the prompt's text (edited after export? remove meta to import it as new data)")
        }
        if let expected = meta?.chosenSHA256, expected != Hex.encode(chosenHash) {
            throw RecordError("field \"meta\".\"chosen_sha256\" does not match the chosen text (edited after export? remove meta to import it as new data)")
        }
        if let expected = meta?.rejectedSHA256, expected != Hex.encode(rejectedHash) {
            throw RecordError("field \"meta\".\"rejected_sha256\" does not match the rejected text (edited after export? remove meta to import it as new data)")
        }
        let chosen = try upsertCompletion(promptID: p.id, text: record.chosen, hash: chosenHash)
        let rejected = try upsertCompletion(promptID: p.id, text: record.rejected, hash: rejectedHash)
        summary.newCompletions += (chosen.isNew ? 1 : 0) + (rejected.isNew ? 1 : 0)
        let source = meta?.source ?? "imported:\(fileName)"
        try addProvenance(completionID: chosen.id, origin: .imported, source: "import:\(fileName)")
        try addProvenance(completionID: rejected.id, origin: .imported, source: "import:\(fileName)")

        var strength = meta?.strength
        if meta == nil, let margin = record.margin {
            strength = MarginTable.strength(forMargin: margin)
            if strength == nil && margin != MarginTable.unknown { summary.marginsNotInTable += 1 }
        }
        let chosenIsFirst = chosen.id < rejected.id
        let winner: Winner = (meta?.isTie ?? false) ? .tie : (chosenIsFirst ? .first : .second)
        let shownFirst: String? = meta?.chosenShownFirst.map { chosenShown in
            (chosenShown == chosenIsFirst) ? Winner.first.rawValue : Winner.second.rawValue
        }
        let annotator = try (meta?.annotator ?? options.annotator).map { try annotatorID($0) }
        let insert = try db.prepare("""
            INSERT INTO labels (prompt_id, first_id, second_id, winner, tie_kind, strength, shown_first,
                                annotator_id, source, external_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        try insert.bind([.int(p.id), .int(min(chosen.id, rejected.id)), .int(max(chosen.id, rejected.id)),
                         .text(winner.rawValue), .optional(winner == .tie ? (meta?.tieKind ?? .plain).rawValue : nil),
                         .optional(strength?.rawValue), .optional(shownFirst), .optional(annotator),
                         .text(source), .text(meta?.id ?? "")])
        try insert.step()
        return db.changes == 1
    }
}

import RLHFCore
import RLHFData

/// Inserting prompts, completions, provenance and annotators: each is found by its identity (a prompt
/// by its text, a completion by prompt and text, through their SHA-256) or created. All of these run
/// inside a caller's `db.write { }`.
extension Store {
    public struct Inserted: Sendable {
        public let id: Int64
        public let isNew: Bool
    }

    /// A prompt by its text; a new one gets `source`, `split` and `metadata`. An existing prompt with
    /// no split takes the given one; an existing split is kept (only `rlhf split --reassign` moves it).
    public func upsertPrompt(_ text: String, hash: [UInt8], source: String, split: Split?,
                             metadata: String? = nil) throws -> Inserted {
        let insert = try db.prepare("""
            INSERT INTO prompts (text, hash, source, split, metadata) VALUES (?, ?, ?, ?, ifnull(?, '{}'))
            ON CONFLICT (hash) DO NOTHING
            """)
        try insert.bind([.text(text), .blob(hash), .text(source), .optional(split?.rawValue), .optional(metadata)])
        try insert.step()
        if db.changes == 1 { return Inserted(id: db.lastInsertRowID, isNew: true) }
        let find = try db.prepare("SELECT id, text, split FROM prompts WHERE hash = ?")
        try find.bind([.blob(hash)])
        guard try find.step() else { throw StoreIntegrityError.vanished("prompt") }
        let id = find.int64(0)
        try Store.checkSameText(stored: find.textBytes(1), new: text, what: "prompt \(id)")
        if let split, find.isNull(2) {
            try db.run("UPDATE prompts SET split = ? WHERE id = ?", [.text(split.rawValue), .int(id)])
        }
        return Inserted(id: id, isNew: false)
    }

    public func upsertCompletion(promptID: Int64, text: String, hash: [UInt8]) throws -> Inserted {
        let insert = try db.prepare("""
            INSERT INTO completions (prompt_id, text, hash) VALUES (?, ?, ?) ON CONFLICT (prompt_id, hash) DO NOTHING
            """)
        try insert.bind([.int(promptID), .text(text), .blob(hash)])
        try insert.step()
        if db.changes == 1 { return Inserted(id: db.lastInsertRowID, isNew: true) }
        let find = try db.prepare("SELECT id, text FROM completions WHERE prompt_id = ? AND hash = ?")
        try find.bind([.int(promptID), .blob(hash)])
        guard try find.step() else { throw StoreIntegrityError.vanished("completion") }
        let id = find.int64(0)
        try Store.checkSameText(stored: find.textBytes(1), new: text, what: "completion \(id)")
        return Inserted(id: id, isNew: false)
    }

    /// Records where a completion came from; the same arrival twice (same file, or same checkpoint,
    /// seed and sample index) is one row. Returns true when the row is new.
    @discardableResult
    public func addProvenance(completionID: Int64, origin: Origin, source: String? = nil, checkpointID: Int64? = nil,
                              settings: String? = nil, seed: Int64? = nil, sampleIndex: Int? = nil) throws -> Bool {
        let s = try db.prepare("""
            INSERT INTO completion_provenance (completion_id, origin, source, checkpoint_id, settings, seed, sample_index)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        try s.bind([.int(completionID), .text(origin.rawValue), .optional(source), .optional(checkpointID),
                    .optional(settings), .optional(seed), .optional(sampleIndex)])
        try s.step()
        return db.changes == 1
    }

    /// The annotator's id, creating the annotator on first use.
    public func annotatorID(_ name: String) throws -> Int64 {
        if let cached = annotatorCache[name] { return cached }
        try db.run("INSERT INTO annotators (name) VALUES (?) ON CONFLICT (name) DO NOTHING", [.text(name)])
        guard let id = try db.scalarInt("SELECT id FROM annotators WHERE name = ?", [.text(name)]) else {
            throw StoreIntegrityError.vanished("annotator")
        }
        annotatorCache[name] = id
        return id
    }

    /// A SHA-256 collision is not expected in this universe, but identity by hash is checked against
    /// the text anyway, so two different texts can never be merged into one row.
    static func checkSameText(stored: UnsafeRawBufferPointer, new: String, what: String) throws {
        var copy = new
        let same = copy.withUTF8 { $0.elementsEqual(stored) }
        if !same { throw StoreIntegrityError.hashCollision(what) }
    }
}

public enum StoreIntegrityError: Error, CustomStringConvertible {
    case vanished(String)
    case hashCollision(String)

    public var description: String {
        switch self {
        case .vanished(let what): return "a \(what) row vanished during the write (concurrent change?); nothing was saved"
        case .hashCollision(let what): return "\(what) has the same SHA-256 as a different text; nothing was saved (please report this)"
        }
    }
}

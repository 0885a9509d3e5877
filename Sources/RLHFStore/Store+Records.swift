#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RLHFCore
import RLHFData

/// Inserting prompts, completions, provenance and annotators: each is found by its identity (a prompt
/// by its text, a completion by prompt and text, through their SHA-256) or created. All of these run
/// inside a caller's `db.write { }`; `now` is the created_at of new rows.
/// The statements of the insert paths, prepared once per store connection.
final class RecordStatements {
    let insertPrompt, findPrompt, insertCompletion, findCompletion, insertProvenance: Statement

    init(_ db: Database) throws {
        insertPrompt = try db.prepareUncached("""
            INSERT INTO prompts (text, hash, source, split, metadata, created_at) VALUES (?, ?, ?, ?, ifnull(?, '{}'), ?)
            ON CONFLICT (hash) DO NOTHING
            """)
        findPrompt = try db.prepareUncached("SELECT id, text, split FROM prompts WHERE hash = ?")
        insertCompletion = try db.prepareUncached("""
            INSERT INTO completions (prompt_id, text, hash, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (prompt_id, hash) DO NOTHING
            """)
        findCompletion = try db.prepareUncached("SELECT id, text FROM completions WHERE prompt_id = ? AND hash = ?")
        insertProvenance = try db.prepareUncached("""
            INSERT INTO completion_provenance (completion_id, arrival_id, sample_index) VALUES (?, ?, ?) ON CONFLICT DO NOTHING
            """)
    }
}

extension Store {
    public struct Inserted: Sendable {
        public let id: Int64
        public let isNew: Bool
    }

    var statements: RecordStatements {
        get throws {
            if let recordStatements { return recordStatements }
            let made = try RecordStatements(db)
            recordStatements = made
            return made
        }
    }

    /// A prompt by its text; a new one gets `source`, `split` and `metadata`. An existing prompt with
    /// no split takes the given one; an existing split is kept (only `rlhf split --reassign` moves it).
    /// `splitConflict` is set when an existing prompt keeps a split other than the given one.
    public func upsertPrompt(_ text: HashedText, source: String, split: Split?, metadata: String? = nil,
                             now: String, splitConflict: inout Bool) throws -> Inserted {
        let insert = try statements.insertPrompt
        try insert.bind(text.text, at: 1)
        try insert.bind(text.digest, at: 2)
        try insert.bind(source, at: 3)
        try insert.bind(split?.rawValue, at: 4)
        try insert.bind(metadata, at: 5)
        try insert.bind(now, at: 6)
        try insert.execute()
        if db.changes == 1 { return Inserted(id: db.lastInsertRowID, isNew: true) }
        let find = try statements.findPrompt
        try find.bind(text.digest, at: 1)
        defer { try? find.reset() }
        guard try find.step() else { throw StoreIntegrityError.vanished("prompt") }
        let id = find.int64(0)
        try Store.checkSameText(stored: find.textBytes(1), new: text.text, what: "prompt \(id)")
        if let split {
            if find.isNull(2) {
                try db.run("UPDATE prompts SET split = ? WHERE id = ?", [.text(split.rawValue), .int(id)])
            } else if find.text(2) != split.rawValue {
                splitConflict = true
            }
        }
        return Inserted(id: id, isNew: false)
    }

    public func upsertCompletion(promptID: Int64, text: HashedText, now: String) throws -> Inserted {
        let insert = try statements.insertCompletion
        try insert.bind(promptID, at: 1)
        try insert.bind(text.text, at: 2)
        try insert.bind(text.digest, at: 3)
        try insert.bind(now, at: 4)
        try insert.execute()
        if db.changes == 1 { return Inserted(id: db.lastInsertRowID, isNew: true) }
        let find = try statements.findCompletion
        try find.bind(promptID, at: 1)
        try find.bind(text.digest, at: 2)
        defer { try? find.reset() }
        guard try find.step() else { throw StoreIntegrityError.vanished("completion") }
        let id = find.int64(0)
        try Store.checkSameText(stored: find.textBytes(1), new: text.text, what: "completion \(id)")
        return Inserted(id: id, isNew: false)
    }

    /// The id of the completion (prompt, text), found by hash with the text compared, or nil.
    func completionID(promptID: Int64, digest: Digest, bytes: UnsafeRawBufferPointer) throws -> Int64? {
        let find = try statements.findCompletion
        try find.bind(promptID, at: 1)
        try find.bind(digest, at: 2)
        defer { try? find.reset() }
        guard try find.step() else { return nil }
        let id = find.int64(0)
        let stored = find.textBytes(1)
        if stored.count != bytes.count || (bytes.count > 0 && memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) != 0) {
            throw StoreIntegrityError.hashCollision("completion \(id)")
        }
        return id
    }

    /// The arrival (one import of a file, one generate call) with this identity, created on first use.
    public func arrivalID(origin: Origin, source: String? = nil, checkpointID: Int64? = nil, settings: String? = nil,
                          seed: Int64? = nil, now: String) throws -> Int64 {
        try db.run("""
            INSERT INTO arrivals (origin, source, checkpoint_id, settings, seed, created_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """, [.text(origin.rawValue), .optional(source), .optional(checkpointID), .optional(settings), .optional(seed), .text(now)])
        if db.changes == 1 { return db.lastInsertRowID }
        guard let id = try db.scalarInt("""
            SELECT id FROM arrivals WHERE origin = ? AND ifnull(source, '') = ifnull(?, '')
              AND ifnull(checkpoint_id, -1) = ifnull(?, -1) AND ifnull(seed, -1) = ifnull(?, -1)
              AND ifnull(settings, '') = ifnull(?, '')
            """, [.text(origin.rawValue), .optional(source), .optional(checkpointID), .optional(seed), .optional(settings)]) else {
            throw StoreIntegrityError.vanished("arrival")
        }
        return id
    }

    /// Records that a completion arrived; the same arrival twice is one row. True when the row is new.
    @discardableResult
    public func addProvenance(completionID: Int64, arrivalID: Int64, sampleIndex: Int? = nil) throws -> Bool {
        let s = try statements.insertProvenance
        try s.bind(completionID, at: 1)
        try s.bind(arrivalID, at: 2)
        try s.bind(Int64(sampleIndex ?? -1), at: 3)
        try s.execute()
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

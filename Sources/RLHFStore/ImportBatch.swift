import CSQLite
import RLHFCore
import RLHFData

/// Multi-row statements for the preference import: one statement writes the completions of
/// `ChunkStatements.rows` records, one their labels (new completions' provenance is one run per
/// import, written at its end: `ImportWriter.finish`). A single-row INSERT
/// still pays for opening cursors, resetting, binding and the VDBE prologue and epilogue on every
/// row; over a chunk those are paid once, and cursors stay where the last row left them (a quarter
/// of the writer's instructions per row, measured with callgrind; 64 rows beat 16 and 256). Rows are
/// inserted in VALUES order, so ids come out in the same order as with one statement per row.
/// Each chunk statement opens a statement journal (the declared foreign keys are immediate, so a
/// multi-row statement may abort halfway); that is 4% of SQLite's work here, the price of keeping
/// them immediate. Prepared once per store connection.
final class ChunkStatements {
    static let rows = 64

    let completions: Statement
    let labels: Statement

    func clearBindings() {
        for statement in [completions, labels] { sqlite3_clear_bindings(statement.handle) }
    }

    init(_ db: Database) throws {
        let n = ChunkStatements.rows
        // ?1 is created_at; each completion takes (prompt_id, text, hash).
        completions = try db.prepareUncached(
            "INSERT INTO completions (prompt_id, text, hash, created_at) VALUES "
                + (0..<(2 * n)).map { k in "(?\(3 * k + 2), ?\(3 * k + 3), ?\(3 * k + 4), ?1)" }.joined(separator: ",")
                + " ON CONFLICT (prompt_id, hash) DO NOTHING")
        // ?1 is created_at; each label takes ten values.
        labels = try db.prepareUncached("""
            INSERT INTO labels (prompt_id, first_id, second_id, winner, tie_kind, strength, shown_first,
                                annotator_id, source, external_id, created_at) VALUES
            """ + (0..<n).map { k in
                let b = 10 * k + 2
                return "(" + (b..<(b + 10)).map { "?\($0)" }.joined(separator: ", ") + ", ?1)"
            }.joined(separator: ",") + " ON CONFLICT DO NOTHING")
    }
}

/// One preference record for the one-row path.
struct PendingPreference {
    let line: Int
    let prompt: HashedText
    /// The pipeline's number for the prompt, when the record came through it.
    let promptNumber: Int32?
    let chosen: HashedText
    let rejected: HashedText
    let margin: Double?
    let meta: PreferenceMeta?
}

/// A byte arena for one chunk's bound texts: SQLite reads bound values only while the statement
/// runs, so binding them as SQLITE_STATIC from here saves a malloc and a copy per value.
final class BindArena {
    private var storage: UnsafeMutableRawBufferPointer
    private var used = 0

    init(capacity: Int = 1 << 16) {
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    func reset() { used = 0 }

    /// Room for `bytes` more bytes. Only called before anything of the chunk is handed out, since
    /// growing moves the storage.
    func reserve(_ bytes: Int) {
        precondition(used == 0, "BindArena: reserve before copying")
        guard bytes > storage.count else { return }
        storage.deallocate()
        storage = .allocate(byteCount: max(bytes, 2 * storage.count), alignment: 16)
    }

    func copy(_ text: String) -> UnsafeRawBufferPointer {
        var text = text
        return text.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
    }

    func copy(_ digest: Digest) -> UnsafeRawBufferPointer {
        digest.withBytes { copy($0) }
    }

    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        precondition(used + bytes.count <= storage.count, "BindArena: reserve first")
        let start = storage.baseAddress! + used
        if bytes.count > 0 { start.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        used += bytes.count
        return UnsafeRawBufferPointer(start: start, count: bytes.count)
    }
}


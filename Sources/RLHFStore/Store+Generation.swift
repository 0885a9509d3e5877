import RLHFCore
import RLHFData

/// What `rlhf generate` needs besides `addGenerated`: the checkpoint row its samples came from.
extension Store {
    /// The newest checkpoint row with this manifest hash.
    public func checkpointID(manifestSHA256: String) throws -> Int64? {
        try db.scalarInt("SELECT id FROM checkpoints WHERE manifest_sha256 = ? ORDER BY id DESC LIMIT 1", [.text(manifestSHA256)])
    }

    /// The prompt's id, adding it (without a split) when it is new: prompts given to `rlhf generate` in
    /// a file.
    public func promptID(text: String, source: String, now: String) throws -> Int64 {
        try db.write {
            var conflict = false
            return try upsertPrompt(HashedText(text), source: source, split: nil, now: now, splitConflict: &conflict).id
        }
    }
}

import RLHFCore
import RLHFData

/// Reading a run's saved examples back by id, for `--resume`: the rows it started with, whatever was
/// added or re-split since.
extension Store {
    /// The (prompt, completion) of each completion id still in the store, in the order given (the
    /// caller names any that are gone).
    public func sftPairs(completionIDs ids: [Int64]) throws -> [SFTPair] {
        try db.read {
            var byID: [Int64: SFTPair] = [:]
            byID.reserveCapacity(ids.count)
            // Chunks of ids bound as parameters (SQLite's default limit is 32,766 per statement).
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(ids.count, start + 500)])
                let marks = chunk.map { _ in "?" }.joined(separator: ", ")
                try forEachRow("SELECT c.id, p.text, c.text FROM completions c JOIN prompts p ON p.id = c.prompt_id WHERE c.id IN (\(marks))",
                               chunk.map { .int($0) }) {
                    byID[$0.int64(0)] = SFTPair(completionID: $0.int64(0), prompt: $0.text(1), completion: $0.text(2))
                }
            }
            return ids.compactMap { byID[$0] }
        }
    }
}

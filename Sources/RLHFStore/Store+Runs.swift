import RLHFCore
import RLHFData

/// A training run as `rlhf runs` lists it.
public struct RunSummary: Sendable, Equatable {
    public let id: Int64
    public let kind: String
    public let status: String
    public let startedAt: String
    public let finishedAt: String?
    public let message: String?
    public let lastStep: Int?
    /// The newest value of each metric.
    public let lastMetrics: [String: Double]
    public let checkpoints: Int
}

/// Training runs, their metrics and checkpoints. Trainers never see the store: a command opens a run,
/// hands the trainer a `StoreMetricsSink`, records checkpoints and closes the run.
extension Store {
    public func startRun(kind: String, config: String) throws -> Int64 {
        try db.write {
            try db.run("INSERT INTO runs (kind, config, status, started_at) VALUES (?, ?, 'running', ?)",
                       [.text(kind), .text(config), .text(Timestamp.now())])
            return db.lastInsertRowID
        }
    }

    public func finishRun(_ id: Int64, status: String, message: String? = nil) throws {
        try db.write {
            try db.run("UPDATE runs SET status = ?, finished_at = ?, message = ? WHERE id = ?",
                       [.text(status), .text(Timestamp.now()), .optional(message), .int(id)])
        }
    }

    public func recordMetrics(_ runID: Int64, _ values: [(step: Int, name: String, value: Double)]) throws {
        guard !values.isEmpty else { return }
        try db.write {
            let s = try db.prepare("INSERT INTO run_metrics (run_id, step, name, value) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, name, step) DO UPDATE SET value = excluded.value")
            for v in values {
                try s.bind(runID, at: 1)
                try s.bind(Int64(v.step), at: 2)
                try s.bind(v.name, at: 3)
                if v.value.isFinite { try s.bind(.double(v.value), at: 4) } else { try s.bindNull(at: 4) }
                try s.execute()
            }
        }
    }

    @discardableResult
    public func recordCheckpoint(runID: Int64?, step: Int?, path: String, manifestSHA256: String) throws -> Int64 {
        try db.write {
            try db.run("INSERT INTO checkpoints (run_id, step, path, manifest_sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                       [.optional(runID), .optional(step), .text(path), .text(manifestSHA256), .text(Timestamp.now())])
            return db.lastInsertRowID
        }
    }

    public func runs() throws -> [RunSummary] {
        try db.read {
            var result: [RunSummary] = []
            try forEachRow("""
                SELECT r.id, r.kind, r.status, r.started_at, r.finished_at, r.message,
                       (SELECT max(step) FROM run_metrics m WHERE m.run_id = r.id),
                       (SELECT count(*) FROM checkpoints c WHERE c.run_id = r.id)
                FROM runs r ORDER BY r.id
                """) { r in
                result.append(RunSummary(id: r.int64(0), kind: r.text(1), status: r.text(2), startedAt: r.text(3),
                                         finishedAt: r.optionalText(4), message: r.optionalText(5), lastStep: r.optionalInt(6),
                                         lastMetrics: [:], checkpoints: r.int(7)))
            }
            return try result.map { run in
                var last: [String: Double] = [:]
                try forEachRow("""
                    SELECT name, value FROM run_metrics m WHERE run_id = ?1 AND step = (SELECT max(step) FROM run_metrics WHERE run_id = ?1 AND name = m.name)
                    """, [.int(run.id)]) { if !$0.isNull(1) { last[$0.text(0)] = $0.double(1) } }
                return RunSummary(id: run.id, kind: run.kind, status: run.status, startedAt: run.startedAt, finishedAt: run.finishedAt,
                                  message: run.message, lastStep: run.lastStep, lastMetrics: last, checkpoints: run.checkpoints)
            }
        }
    }

    public func runExists(_ id: Int64) throws -> Bool { try db.scalarInt("SELECT 1 FROM runs WHERE id = ?", [.int(id)]) != nil }

    /// A run's metrics ordered by step, then name.
    public func metrics(runID: Int64, _ body: (Int, String, Double?) throws -> Void) throws {
        try forEachRow("SELECT step, name, value FROM run_metrics WHERE run_id = ? ORDER BY step, name", [.int(runID)]) {
            try body($0.int(0), $0.text(1), $0.optionalDouble(2))
        }
    }
}

/// Writes a trainer's metrics to the store in batches (one transaction per flush, not per number).
public final class StoreMetricsSink: MetricsSink {
    let store: Store
    public let runID: Int64
    private var pending: [(step: Int, name: String, value: Double)] = []
    private let batch: Int

    public init(store: Store, runID: Int64, batch: Int = 64) {
        self.store = store
        self.runID = runID
        self.batch = batch
    }

    public func record(step: Int, name: String, value: Double) {
        pending.append((step, name, value))
        if pending.count >= batch { try? flush() }
    }

    public func flush() throws {
        let values = pending
        pending.removeAll()
        try store.recordMetrics(runID, values)
    }

    deinit { try? flush() }
}

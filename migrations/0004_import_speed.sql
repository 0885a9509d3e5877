-- rlhf store, schema version 4: the same facts in fewer b-tree writes per imported comparison.

-- An import creates its new completions with consecutive ids (one writer, one transaction, and an
-- INTEGER PRIMARY KEY takes max(id) + 1), so "completions first..last arrived with this arrival" is
-- one row per import instead of one provenance row per completion. A completion that already existed
-- when the import met it (made by another arrival) still gets its own completion_provenance row. The
-- import never records a (completion, arrival) pair in both places; completion_origins reads both.
-- Sample index is always unknown (-1) here: `rlhf generate` keeps writing completion_provenance rows.
CREATE TABLE completion_provenance_runs (
    arrival_id          INTEGER NOT NULL REFERENCES arrivals(id),
    first_completion_id INTEGER NOT NULL REFERENCES completions(id),
    last_completion_id  INTEGER NOT NULL REFERENCES completions(id),
    PRIMARY KEY (arrival_id, first_completion_id),
    CHECK (first_completion_id <= last_completion_id)
) WITHOUT ROWID;

-- A run names completions by id range, so ids must never be freed for reuse (SQLite hands out
-- max(id) + 1 again after the largest row is deleted): completions are never deleted or renumbered.
CREATE TRIGGER completions_are_never_deleted BEFORE DELETE ON completions
BEGIN
    SELECT RAISE(ABORT, 'completions are never deleted');
END;

CREATE TRIGGER completions_keep_their_id BEFORE UPDATE OF id ON completions
WHEN NEW.id IS NOT OLD.id
BEGIN
    SELECT RAISE(ABORT, 'a completion keeps its id');
END;

-- Provenance as one row per arrival of a completion, with its origin and settings (as in version 1),
-- now over both tables. The CASTs give each column the same affinity in both arms.
DROP VIEW completion_origins;
CREATE VIEW completion_origins AS
SELECT cp.completion_id, a.origin, a.source, a.checkpoint_id, a.settings, a.seed,
       CASE WHEN cp.sample_index < 0 THEN NULL ELSE cp.sample_index END AS sample_index,
       a.created_at
FROM completion_provenance cp JOIN arrivals a ON a.id = cp.arrival_id
UNION ALL
SELECT c.id, a.origin, a.source, a.checkpoint_id, a.settings, a.seed, CAST(NULL AS INTEGER), a.created_at
FROM completion_provenance_runs r JOIN arrivals a ON a.id = r.arrival_id
JOIN completions c ON c.id BETWEEN r.first_completion_id AND r.last_completion_id;

-- Every query of labels by annotator asks for one annotator (`annotator_id = ?`), which SQLite
-- answers from a partial index on annotator_id IS NOT NULL. Labels without an annotator (imported
-- datasets such as HH-RLHF) then cost those two indexes nothing: 2 of the 5 b-tree writes per label.
DROP INDEX labels_by_annotator;
CREATE INDEX labels_by_annotator ON labels(annotator_id, id) WHERE annotator_id IS NOT NULL;
DROP INDEX labels_by_annotator_pair;
CREATE INDEX labels_by_annotator_pair ON labels(annotator_id, first_id, second_id) WHERE annotator_id IS NOT NULL;

-- rlhf store, schema version 1.
-- Forward-only: once landed, this file is never edited; changes come as 0002_*.sql and later.
-- Times are UTC ISO 8601 text with milliseconds. Hashes are SHA-256 of the UTF-8 text (32-byte BLOB).
-- CHECKs spell out "x = 'a' OR x = 'b'" rather than "x IN ('a', 'b')": SQLite builds a temporary
-- b-tree for an IN list on every execution of an INSERT, which made imports 3x slower. A source
-- 'imported:<file>' is checked as (source > 'imported:' AND source < 'imported;'), i.e. the prefix
-- and at least one more character, without calling LIKE on every insert.

-- One row: this store's identity (a random id minted at creation), used to build export ids for
-- labels made here, so ids stay unique when stores are merged by export and import.
CREATE TABLE store_info (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    store_id   TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- A prompt is its text. split is NULL until `rlhf split` (or `--split` at import) assigns one.
CREATE TABLE prompts (
    id         INTEGER PRIMARY KEY,
    text       TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    source     TEXT NOT NULL,
    split      TEXT CHECK (split = 'train' OR split = 'validation' OR split = 'test'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    metadata   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object')
);
CREATE INDEX prompts_by_split ON prompts(split);

-- A completion is (prompt, text): the same text sampled twice is one row with two provenances.
CREATE TABLE completions (
    id         INTEGER PRIMARY KEY,
    prompt_id  INTEGER NOT NULL REFERENCES prompts(id),
    text       TEXT NOT NULL,
    hash       BLOB NOT NULL CHECK (length(hash) = 32),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (prompt_id, hash),
    -- The target of labels' and rankings' (prompt, completion) foreign keys. Column order is free
    -- for a foreign key's parent index; id first makes it grow at its end like the table (new ids
    -- are the largest), instead of at a random prompt's place on every insert.
    UNIQUE (id, prompt_id)
);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    config      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status = 'running' OR status = 'finished' OR status = 'failed' OR status = 'stopped'),
    started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at TEXT,
    message     TEXT
);

CREATE TABLE run_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step   INTEGER NOT NULL,
    name   TEXT NOT NULL,
    value  REAL,
    PRIMARY KEY (run_id, name, step)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER REFERENCES runs(id),
    step            INTEGER,
    path            TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL CHECK (length(manifest_sha256) = 64),
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX checkpoints_by_run ON checkpoints(run_id, step);

-- Where completions came from. An arrival is one import of a file or one `rlhf generate` call:
-- origin 'sft' (SFT targets), 'generated' (sampled from checkpoint_id with settings and seed) or
-- 'imported' (replies in an imported preference file); source names the file for imports.
CREATE TABLE arrivals (
    id            INTEGER PRIMARY KEY,
    origin        TEXT NOT NULL CHECK (origin = 'sft' OR origin = 'generated' OR origin = 'imported'),
    source        TEXT,
    checkpoint_id INTEGER REFERENCES checkpoints(id),
    settings      TEXT CHECK (settings IS NULL OR json_valid(settings)),
    seed          INTEGER,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- The same file imported again is the same arrival, so it adds no second provenance row.
CREATE UNIQUE INDEX arrivals_identity ON arrivals(origin, ifnull(source, ''), ifnull(checkpoint_id, -1), ifnull(seed, -1), ifnull(settings, ''));

-- A completion's provenance: one row per (completion, arrival, sample index), so the same text
-- sampled twice keeps both provenances. sample_index is -1 when the arrival is not sampling.
CREATE TABLE completion_provenance (
    completion_id INTEGER NOT NULL REFERENCES completions(id),
    arrival_id    INTEGER NOT NULL REFERENCES arrivals(id),
    sample_index  INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (completion_id, arrival_id, sample_index)
) WITHOUT ROWID;

-- Provenance as one row per arrival of a completion, with its origin and settings.
CREATE VIEW completion_origins AS
SELECT cp.completion_id, a.origin, a.source, a.checkpoint_id, a.settings, a.seed,
       CASE WHEN cp.sample_index < 0 THEN NULL ELSE cp.sample_index END AS sample_index,
       a.created_at
FROM completion_provenance cp JOIN arrivals a ON a.id = cp.arrival_id;

CREATE TABLE annotators (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Labeling guidelines, versioned: every label records the version it was made under.
CREATE TABLE guidelines (
    version    INTEGER PRIMARY KEY,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One row per judgement of a pair. The pair is (first_id, second_id) with first_id < second_id;
-- winner is 'first' | 'second' | 'tie' by completion id, never by screen side: which completion was
-- shown first is its own column (shown_first, NULL when unknown). strength: 1 slight, 2 clear,
-- 3 strong, NULL unknown. kind 'undo' rows are undo markers (no winner): they supersede the label
-- they undo and are never current themselves.
-- Rows are never deleted and never updated, except superseded_by, set once (triggers below).
CREATE TABLE labels (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL DEFAULT 'label' CHECK (kind = 'label' OR kind = 'undo'),
    prompt_id         INTEGER NOT NULL,
    first_id          INTEGER NOT NULL,
    second_id         INTEGER NOT NULL,
    winner            TEXT CHECK (winner = 'first' OR winner = 'second' OR winner = 'tie'),
    tie_kind          TEXT CHECK (tie_kind = 'plain' OR tie_kind = 'both-good' OR tie_kind = 'both-bad'),
    strength          INTEGER CHECK (strength = 1 OR strength = 2 OR strength = 3),
    shown_first       TEXT CHECK (shown_first = 'first' OR shown_first = 'second'),
    annotator_id      INTEGER REFERENCES annotators(id),
    source            TEXT NOT NULL CHECK (source = 'human' OR source = 'simulated' OR (source > 'imported:' AND source < 'imported;')),
    guideline_version INTEGER REFERENCES guidelines(version),
    seconds           REAL CHECK (seconds IS NULL OR seconds >= 0),
    rationale         TEXT,
    external_id       TEXT,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    superseded_by     INTEGER REFERENCES labels(id),
    -- Both completions belong to the label's prompt (a foreign key, not a trigger: a trigger that may
    -- abort makes every insert open a statement journal).
    FOREIGN KEY (prompt_id, first_id) REFERENCES completions(prompt_id, id),
    FOREIGN KEY (prompt_id, second_id) REFERENCES completions(prompt_id, id),
    CHECK (first_id < second_id),
    CHECK ((kind = 'label') = (winner IS NOT NULL)),
    CHECK ((winner = 'tie') IS (tie_kind IS NOT NULL) OR kind = 'undo'),
    CHECK (kind = 'label' OR (tie_kind IS NULL AND strength IS NULL))
);
CREATE INDEX labels_by_annotator ON labels(annotator_id, id);
-- Labels with a strength: export asks whether any exported label has one (TRL's margin column is on
-- every record or on none) before it writes the first record; without this index that question
-- reads every label. Labels without a strength (all imported HH data) add nothing to it.
CREATE INDEX labels_with_strength ON labels(id) WHERE strength IS NOT NULL;
-- The identity of an imported judgement: (pair, winner, annotator or source, meta.id). Labels made
-- here have external_id NULL, so they never collide (NULLs are distinct in a unique index). Its
-- (first_id, second_id) prefix is also the index of labels by pair.
CREATE UNIQUE INDEX labels_by_pair ON labels(
    first_id, second_id, winner, ifnull(annotator_id, 0), source, external_id);



CREATE TRIGGER labels_are_never_deleted BEFORE DELETE ON labels
BEGIN
    SELECT RAISE(ABORT, 'labels are never deleted: supersede them instead');
END;

CREATE TRIGGER labels_only_supersede BEFORE UPDATE ON labels
WHEN OLD.superseded_by IS NOT NULL
  OR NEW.superseded_by IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.prompt_id IS NOT OLD.prompt_id
  OR NEW.first_id IS NOT OLD.first_id OR NEW.second_id IS NOT OLD.second_id
  OR NEW.winner IS NOT OLD.winner OR NEW.tie_kind IS NOT OLD.tie_kind OR NEW.strength IS NOT OLD.strength
  OR NEW.shown_first IS NOT OLD.shown_first OR NEW.annotator_id IS NOT OLD.annotator_id
  OR NEW.source IS NOT OLD.source OR NEW.guideline_version IS NOT OLD.guideline_version
  OR NEW.seconds IS NOT OLD.seconds OR NEW.rationale IS NOT OLD.rationale
  OR NEW.external_id IS NOT OLD.external_id OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'labels are never changed: only superseded_by may be set, once');
END;

-- The superseding row must be a later judgement (or undo marker) of the same annotator on the same pair.
CREATE TRIGGER labels_supersede_same_pair BEFORE UPDATE OF superseded_by ON labels
WHEN NOT EXISTS (
    SELECT 1 FROM labels n WHERE n.id = NEW.superseded_by AND n.id > OLD.id
      AND n.first_id = OLD.first_id AND n.second_id = OLD.second_id
      AND n.annotator_id IS OLD.annotator_id)
BEGIN
    SELECT RAISE(ABORT, 'a label is superseded only by a later label of the same annotator on the same pair');
END;

-- A k-wise ranking of completions of one prompt (InstructGPT). Same supersede rule as labels.
CREATE TABLE rankings (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL DEFAULT 'ranking' CHECK (kind = 'ranking' OR kind = 'undo'),
    prompt_id         INTEGER NOT NULL REFERENCES prompts(id),
    annotator_id      INTEGER REFERENCES annotators(id),
    source            TEXT NOT NULL CHECK (source = 'human' OR source = 'simulated' OR (source > 'imported:' AND source < 'imported;')),
    guideline_version INTEGER REFERENCES guidelines(version),
    seconds           REAL CHECK (seconds IS NULL OR seconds >= 0),
    rationale         TEXT,
    external_id       TEXT,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    superseded_by     INTEGER REFERENCES rankings(id),
    UNIQUE (id, prompt_id)   -- the target of ranking_items' foreign key
);
CREATE INDEX rankings_by_prompt ON rankings(prompt_id);
CREATE INDEX rankings_by_annotator ON rankings(annotator_id, id);

-- rank 0 is the best. shown_position is where the item appeared on screen (NULL when unknown).
CREATE TABLE ranking_items (
    ranking_id     INTEGER NOT NULL,
    prompt_id      INTEGER NOT NULL,
    rank           INTEGER NOT NULL CHECK (rank >= 0),
    completion_id  INTEGER NOT NULL,
    shown_position INTEGER,
    PRIMARY KEY (ranking_id, rank),
    UNIQUE (ranking_id, completion_id),
    -- Every ranked completion belongs to the ranking's prompt.
    FOREIGN KEY (ranking_id, prompt_id) REFERENCES rankings(id, prompt_id),
    FOREIGN KEY (prompt_id, completion_id) REFERENCES completions(prompt_id, id)
) WITHOUT ROWID;
CREATE INDEX ranking_items_by_completion ON ranking_items(completion_id);

CREATE TRIGGER rankings_are_never_deleted BEFORE DELETE ON rankings
BEGIN
    SELECT RAISE(ABORT, 'rankings are never deleted: supersede them instead');
END;

CREATE TRIGGER ranking_items_are_never_deleted BEFORE DELETE ON ranking_items
BEGIN
    SELECT RAISE(ABORT, 'rankings are never deleted: supersede them instead');
END;

CREATE TRIGGER rankings_only_supersede BEFORE UPDATE ON rankings
WHEN OLD.superseded_by IS NOT NULL OR NEW.superseded_by IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.prompt_id IS NOT OLD.prompt_id
  OR NEW.annotator_id IS NOT OLD.annotator_id OR NEW.source IS NOT OLD.source
  OR NEW.guideline_version IS NOT OLD.guideline_version OR NEW.seconds IS NOT OLD.seconds
  OR NEW.rationale IS NOT OLD.rationale OR NEW.external_id IS NOT OLD.external_id
  OR NEW.created_at IS NOT OLD.created_at
  OR NOT EXISTS (SELECT 1 FROM rankings n WHERE n.id = NEW.superseded_by AND n.id > OLD.id
                 AND n.prompt_id = OLD.prompt_id AND n.annotator_id IS OLD.annotator_id)
BEGIN
    SELECT RAISE(ABORT, 'rankings are never changed: only superseded_by may be set, once, to a later ranking of the same annotator and prompt');
END;

CREATE TRIGGER ranking_items_are_never_changed BEFORE UPDATE ON ranking_items
BEGIN
    SELECT RAISE(ABORT, 'rankings are never changed: supersede them instead');
END;

-- The labels in force: judgements not superseded, with current rankings expanded into their
-- K(K-1)/2 pairs (the better-ranked completion wins). Export, statistics, agreement and every
-- trainer read labels only through this view.
-- Each column has the same affinity in both arms (hence the CASTs in the second): SQLite then
-- flattens the view into the query that reads it, so `ORDER BY label_id NULLS LAST, ...` streams
-- the labels arm in rowid order (a merge with the sorted rankings arm) instead of materializing and
-- sorting every label.
CREATE VIEW current_labels AS
SELECT l.id AS label_id, CAST(NULL AS INTEGER) AS ranking_id, l.prompt_id, l.first_id, l.second_id, l.winner,
       l.tie_kind, l.strength, l.shown_first, l.annotator_id, l.source, l.guideline_version, l.seconds,
       l.rationale, l.external_id, l.created_at
FROM labels l
WHERE l.kind = 'label' AND l.superseded_by IS NULL
UNION ALL
SELECT CAST(NULL AS INTEGER), r.id, r.prompt_id,
       CAST(min(a.completion_id, b.completion_id) AS INTEGER), CAST(max(a.completion_id, b.completion_id) AS INTEGER),
       CAST(CASE WHEN (a.completion_id < b.completion_id) THEN 'first' ELSE 'second' END AS TEXT),
       CAST(NULL AS TEXT), CAST(NULL AS INTEGER),
       CAST(CASE WHEN a.shown_position IS NULL OR b.shown_position IS NULL THEN NULL
                 WHEN (a.shown_position < b.shown_position) = (a.completion_id < b.completion_id) THEN 'first'
                 ELSE 'second' END AS TEXT),
       r.annotator_id, r.source, r.guideline_version, CAST(NULL AS REAL), r.rationale,
       r.external_id, r.created_at
FROM rankings r
JOIN ranking_items a ON a.ranking_id = r.id
JOIN ranking_items b ON b.ranking_id = r.id AND a.rank < b.rank
WHERE r.kind = 'ranking' AND r.superseded_by IS NULL;

-- This store's identity.
INSERT INTO store_info (singleton, store_id) VALUES (1, lower(hex(randomblob(16))));

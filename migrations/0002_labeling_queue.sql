-- rlhf store, schema version 2: the labeling queue's state. Claims and skips are working state, not
-- judgements: a claim is deleted when it is released or replaced, and nothing about a label lives here.

-- A pair offered to an annotator is claimed until expires_ms (Unix milliseconds): a lease of ten
-- minutes, renewed on every keypress. Other annotators are not offered the pair while it holds, unless
-- the overlap asks for more labels than the pair has. A crashed session's claims simply expire.
CREATE TABLE pair_claims (
    first_id     INTEGER NOT NULL,
    second_id    INTEGER NOT NULL,
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    claimed_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    PRIMARY KEY (first_id, second_id, annotator_id),
    FOREIGN KEY (first_id) REFERENCES completions(id),
    FOREIGN KEY (second_id) REFERENCES completions(id),
    CHECK (first_id < second_id)
) WITHOUT ROWID;
CREATE INDEX pair_claims_by_annotator ON pair_claims(annotator_id, expires_ms);

-- The same for prompts in ranking mode.
CREATE TABLE prompt_claims (
    prompt_id    INTEGER NOT NULL REFERENCES prompts(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    claimed_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    PRIMARY KEY (prompt_id, annotator_id)
) WITHOUT ROWID;
CREATE INDEX prompt_claims_by_annotator ON prompt_claims(annotator_id, expires_ms);

-- A skipped pair (or prompt, in ranking mode) is not offered to that annotator again; others still get it.
CREATE TABLE pair_skips (
    first_id     INTEGER NOT NULL REFERENCES completions(id),
    second_id    INTEGER NOT NULL REFERENCES completions(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (first_id, second_id, annotator_id)
) WITHOUT ROWID;

CREATE TABLE prompt_skips (
    prompt_id    INTEGER NOT NULL REFERENCES prompts(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (prompt_id, annotator_id)
) WITHOUT ROWID;

-- Labels of one annotator on one pair, newest first: the queue asks "has this annotator a current
-- label here?" and "what did this annotator label last?".
CREATE INDEX labels_by_annotator_pair ON labels(annotator_id, first_id, second_id);

-- Labels saved after their claim had expired (another annotator may have been offered the pair
-- meanwhile): accepted and counted, and listed here so `rlhf stats` can say how many pairs got more
-- labels than the overlap asked for this way.
CREATE TABLE late_labels (
    label_id INTEGER PRIMARY KEY REFERENCES labels(id)
);

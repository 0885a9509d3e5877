-- rlhf store, schema version 3: rewards that reward models gave completions (`rlhf score --split S
-- --store PATH`). A reward model is the checkpoint it was loaded from (checkpoints.id, found by its
-- manifest hash), so rewards from two versions of a model never mix. Scoring again replaces the value.
CREATE TABLE rewards (
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id),
    completion_id INTEGER NOT NULL REFERENCES completions(id),
    reward        REAL NOT NULL,
    -- The serialiser had to keep only the completion's last tokens (it did not fit the context).
    truncated     INTEGER NOT NULL DEFAULT 0 CHECK (truncated = 0 OR truncated = 1),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (checkpoint_id, completion_id)
) WITHOUT ROWID;
CREATE INDEX rewards_by_completion ON rewards(completion_id);

-- The model registry: every trained model file (header + body text, content-hashed), and the
-- champion history per slot (the latest not-rolled-back promotion is the champion).
CREATE TABLE models (
    id             TEXT    PRIMARY KEY,
    content_hash   TEXT    NOT NULL,
    format_version INTEGER NOT NULL,
    slot           TEXT    NOT NULL,
    pairs          TEXT    NOT NULL,
    interval_secs  INTEGER NOT NULL,
    train_from     INTEGER NOT NULL,
    train_to       INTEGER NOT NULL,
    data_hash      TEXT    NOT NULL,
    feature_names  TEXT    NOT NULL,
    score          REAL    NOT NULL,
    metrics        TEXT    NOT NULL,
    file           TEXT    NOT NULL,
    registered_at  INTEGER NOT NULL
);
CREATE TABLE model_promotions (
    seq         INTEGER PRIMARY KEY,
    slot        TEXT    NOT NULL,
    model_id    TEXT    NOT NULL REFERENCES models(id),
    promoted_at INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    rolled_back INTEGER NOT NULL DEFAULT 0
)

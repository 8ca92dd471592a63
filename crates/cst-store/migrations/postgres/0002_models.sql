-- The model registry: every trained model file (header + body text, content-hashed), and the
-- champion history per slot (the latest not-rolled-back promotion is the champion).
CREATE TABLE models (
    id             TEXT             PRIMARY KEY,
    content_hash   TEXT             NOT NULL,
    format_version BIGINT           NOT NULL,
    slot           TEXT             NOT NULL,
    pairs          TEXT             NOT NULL,
    interval_secs  BIGINT           NOT NULL,
    train_from     BIGINT           NOT NULL,
    train_to       BIGINT           NOT NULL,
    data_hash      TEXT             NOT NULL,
    feature_names  TEXT             NOT NULL,
    score          DOUBLE PRECISION NOT NULL,
    metrics        TEXT             NOT NULL,
    file           TEXT             NOT NULL,
    registered_at  BIGINT           NOT NULL
);
CREATE TABLE model_promotions (
    seq         BIGSERIAL PRIMARY KEY,
    slot        TEXT      NOT NULL,
    model_id    TEXT      NOT NULL REFERENCES models(id),
    promoted_at BIGINT    NOT NULL,
    reason      TEXT      NOT NULL,
    rolled_back BIGINT    NOT NULL DEFAULT 0
)

-- The running system's journal (`cst run`), as in the SQLite migration. Money is TEXT holding the
-- exact decimal string, so both backends read back the very same values.
CREATE TABLE runs (
    run_id        TEXT   PRIMARY KEY,
    strategy      TEXT   NOT NULL,
    config_hash   TEXT   NOT NULL,
    config        TEXT   NOT NULL,
    mode          TEXT   NOT NULL,
    models        TEXT   NOT NULL,
    last_event_ns BIGINT NOT NULL,
    events        BIGINT NOT NULL,
    starts        BIGINT NOT NULL
);
CREATE TABLE run_orders (
    run_id          TEXT   NOT NULL,
    client_order_id TEXT   NOT NULL,
    pair            TEXT   NOT NULL,
    side            TEXT   NOT NULL,
    qty             TEXT   NOT NULL,
    kind            TEXT   NOT NULL,
    decision_price  TEXT   NOT NULL,
    decided_ns      BIGINT NOT NULL,
    reduce_only     BIGINT NOT NULL,
    status          TEXT   NOT NULL,
    PRIMARY KEY (run_id, client_order_id)
);
CREATE TABLE run_fills (
    run_id          TEXT   NOT NULL,
    seq             BIGINT NOT NULL,
    client_order_id TEXT   NOT NULL,
    pair            TEXT   NOT NULL,
    side            TEXT   NOT NULL,
    qty             TEXT   NOT NULL,
    price           TEXT   NOT NULL,
    fee             TEXT   NOT NULL,
    liquidity       TEXT   NOT NULL,
    reference_price TEXT   NOT NULL,
    time_ns         BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE run_ledger (
    run_id          TEXT   NOT NULL,
    seq             BIGINT NOT NULL,
    time_ns         BIGINT NOT NULL,
    asset           TEXT   NOT NULL,
    delta           TEXT   NOT NULL,
    balance         TEXT   NOT NULL,
    client_order_id TEXT   NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE run_positions (
    run_id       TEXT   NOT NULL,
    pair         TEXT   NOT NULL,
    qty          TEXT   NOT NULL,
    cost_basis   TEXT   NOT NULL,
    realized_pnl TEXT   NOT NULL,
    fees         TEXT   NOT NULL,
    time_ns      BIGINT NOT NULL,
    PRIMARY KEY (run_id, pair)
);
CREATE TABLE run_risk (
    run_id       TEXT   PRIMARY KEY,
    kill_level   TEXT   NOT NULL,
    kill_reason  TEXT   NOT NULL,
    equity       TEXT   NOT NULL,
    daily_loss   TEXT   NOT NULL,
    time_ns      BIGINT NOT NULL
);
CREATE TABLE run_controls (
    run_id     TEXT   NOT NULL,
    seq        BIGINT NOT NULL,
    at_event   BIGINT NOT NULL,
    command    TEXT   NOT NULL,
    reason     TEXT   NOT NULL,
    PRIMARY KEY (run_id, seq)
)

-- Candles per pair and interval. Decimals are TEXT so SQLite's numeric affinity never turns
-- an exact Kraken price into a binary float.
CREATE TABLE candles (
    pair          TEXT    NOT NULL,
    interval_secs INTEGER NOT NULL,
    time          INTEGER NOT NULL,
    open          TEXT    NOT NULL,
    high          TEXT    NOT NULL,
    low           TEXT    NOT NULL,
    close         TEXT    NOT NULL,
    volume        TEXT    NOT NULL,
    trades        INTEGER NOT NULL,
    PRIMARY KEY (pair, interval_secs, time)
) WITHOUT ROWID;

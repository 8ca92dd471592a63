-- Candles per pair and interval; NUMERIC keeps Kraken's decimals exact (and their scale).
CREATE TABLE candles (
    pair          TEXT    NOT NULL,
    interval_secs BIGINT  NOT NULL,
    time          BIGINT  NOT NULL,
    open          NUMERIC NOT NULL,
    high          NUMERIC NOT NULL,
    low           NUMERIC NOT NULL,
    close         NUMERIC NOT NULL,
    volume        NUMERIC NOT NULL,
    trades        BIGINT  NOT NULL,
    PRIMARY KEY (pair, interval_secs, time)
);

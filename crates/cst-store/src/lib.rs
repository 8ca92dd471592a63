//! `cst-store`: one storage API over two real backends, embedded SQLite (the default: a file
//! in the data directory, no server) and PostgreSQL (`postgres://...`).
//!
//! Tour: [`Store`] opens either backend and runs [`migrate`]; [`import`] turns Kraken OHLCVT
//! files into candles through the data-quality gate, one transaction per file.

pub mod import;
pub mod journal;
pub mod migrate;
pub mod models;
mod postgres;
mod sqlite;

use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::time::Timestamp;
use serde::Serialize;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend we support.
    #[error("unsupported store URL {0:?}: use sqlite:PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// The database said no.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A stored value could not be read back as a decimal or interval.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A model-registry request that cannot be honoured (unknown id, nothing to roll back).
    #[error("model registry: {0}")]
    Registry(String),
    /// A candle in the input differs from the one already stored at the same time.
    #[error("conflict with stored candle at {time}: stored {stored}, new {new}")]
    Conflict {
        /// Open time (RFC 3339).
        time: String,
        /// The stored values.
        stored: String,
        /// The incoming values.
        new: String,
    },
}

/// One stored series and its extent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesInfo {
    /// Pair in wsname form (`XBT/USD`).
    pub pair: String,
    /// Interval (`1h`).
    pub interval: Interval,
    /// Number of candles.
    pub rows: i64,
    /// Open time of the first candle, RFC 3339 UTC.
    pub first: String,
    /// Open time of the last candle, RFC 3339 UTC.
    pub last: String,
}

/// What storing a batch of candles did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriteOutcome {
    /// Candles that were new and inserted.
    pub inserted: usize,
    /// Candles already stored with identical values (re-import is idempotent).
    pub unchanged: usize,
}

/// A market-data store.
#[derive(Debug, Clone)]
pub enum Store {
    /// Embedded SQLite.
    Sqlite(sqlite::SqliteStore),
    /// PostgreSQL server.
    Postgres(postgres::PgStore),
}

impl Store {
    /// Opens (creating if needed) the store named by `url` and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Store::Sqlite(sqlite::SqliteStore::open(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(postgres::PgStore::open(url).await?))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    /// Backend name for messages.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Stores candles of one series atomically: new ones are inserted, identical ones skipped,
    /// and any candle that differs from the stored one aborts the whole write.
    pub async fn write_candles(
        &self,
        pair: &Pair,
        interval: Interval,
        rows: &[CandleRow],
    ) -> Result<WriteOutcome, StoreError> {
        match self {
            Store::Sqlite(s) => s.write_candles(pair, interval, rows).await,
            Store::Postgres(s) => s.write_candles(pair, interval, rows).await,
        }
    }

    /// Candles of one series in ascending time, optionally limited to `[from, to]` open times.
    pub async fn candles(
        &self,
        pair: &Pair,
        interval: Interval,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<CandleRow>, StoreError> {
        let lo = from.map_or(i64::MIN, Timestamp::as_secs);
        let hi = to.map_or(i64::MAX, Timestamp::as_secs);
        match self {
            Store::Sqlite(s) => s.candles(&pair.wsname(), interval.secs(), lo, hi).await,
            Store::Postgres(s) => s.candles(&pair.wsname(), interval.secs(), lo, hi).await,
        }
    }

    /// Every stored series with its row count and extent, ordered by pair then interval.
    pub async fn series(&self) -> Result<Vec<SeriesInfo>, StoreError> {
        let raw = match self {
            Store::Sqlite(s) => s.series().await?,
            Store::Postgres(s) => s.series().await?,
        };
        raw.into_iter().map(series_info).collect()
    }
}

/// `(pair, interval_secs, rows, first, last)` as both backends return it.
type RawSeries = (String, i64, i64, i64, i64);

fn series_info((pair, interval_secs, rows, first, last): RawSeries) -> Result<SeriesInfo, StoreError> {
    let interval = Interval::ALL
        .into_iter()
        .find(|i| i.secs() == interval_secs)
        .ok_or_else(|| StoreError::Corrupt(format!("interval of {interval_secs}s")))?;
    let fmt = |t: i64| Timestamp::from_secs(t).map(|t| t.to_rfc3339()).map_err(|e| StoreError::Corrupt(e.to_string()));
    Ok(SeriesInfo { pair, interval, rows, first: fmt(first)?, last: fmt(last)? })
}

fn describe(r: &CandleRow) -> String {
    format!("o={} h={} l={} c={} v={} n={}", r.open, r.high, r.low, r.close, r.volume, r.trades)
}

/// Splits `incoming` (strictly ascending) against the `stored` rows of the same time range:
/// returns the rows to insert and how many were identical, or the first conflict.
pub(crate) fn plan_write(stored: &[CandleRow], incoming: &[CandleRow]) -> Result<(Vec<CandleRow>, usize), StoreError> {
    let mut fresh = Vec::with_capacity(incoming.len().saturating_sub(stored.len()));
    let mut unchanged = 0;
    let mut s = stored.iter().peekable();
    for row in incoming {
        while s.peek().is_some_and(|x| x.time < row.time) {
            s.next();
        }
        match s.peek() {
            Some(x) if x.time == row.time => {
                let same = x.open == row.open
                    && x.high == row.high
                    && x.low == row.low
                    && x.close == row.close
                    && x.volume == row.volume
                    && x.trades == row.trades;
                if !same {
                    let time = Timestamp::from_secs(row.time).map(|t| t.to_rfc3339()).unwrap_or_default();
                    return Err(StoreError::Conflict { time, stored: describe(x), new: describe(row) });
                }
                unchanged += 1;
            }
            _ => fresh.push(row.clone()),
        }
    }
    Ok((fresh, unchanged))
}

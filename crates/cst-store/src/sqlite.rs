//! The embedded SQLite backend (the default). Decimals are stored as exact text.

use crate::migrate::{self, Migration};
use crate::{RawSeries, StoreError, WriteOutcome, plan_write};
use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::num::parse_decimal;
use cst_core::pair::Pair;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::str::FromStr;

/// Rows per multi-row INSERT (8 binds each, well under SQLite's variable limit).
const BATCH_ROWS: usize = 1000;

/// A SQLite-backed store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

const SELECT: &str = "SELECT time, open, high, low, close, volume, trades FROM candles \
    WHERE pair = ? AND interval_secs = ? AND time BETWEEN ? AND ? ORDER BY time";

fn row_of(r: &sqlx::sqlite::SqliteRow) -> Result<CandleRow, StoreError> {
    let dec = |col: &str| -> Result<_, StoreError> {
        let text: String = r.try_get(col)?;
        parse_decimal(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
    };
    Ok(CandleRow {
        time: r.try_get("time")?,
        open: dec("open")?,
        high: dec("high")?,
        low: dec("low")?,
        close: dec("close")?,
        volume: dec("volume")?,
        trades: r.try_get("trades")?,
    })
}

impl SqliteStore {
    /// Opens or creates the database file and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
        let store = Self { pool };
        store.migrate(migrate::SQLITE).await?;
        Ok(store)
    }

    async fn migrate(&self, steps: &[Migration]) -> Result<(), StoreError> {
        sqlx::query(migrate::CREATE_TABLE).execute(&self.pool).await?;
        for m in steps {
            let mut tx = self.pool.begin().await?;
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            for stmt in migrate::statements(m.sql) {
                // Embedded migration text, compiled into the binary: never user input.
                sqlx::query(sqlx::AssertSqlSafe(stmt)).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, name) VALUES (?, ?)")
                .bind(m.version)
                .bind(m.name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    pub(crate) async fn write_candles(
        &self,
        pair: &Pair,
        interval: Interval,
        rows: &[CandleRow],
    ) -> Result<WriteOutcome, StoreError> {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(WriteOutcome::default());
        };
        let name = pair.wsname();
        // IMMEDIATE takes the write lock before the read: a deferred transaction that reads first
        // and then writes cannot wait for another writer (SQLite answers "database is locked" at
        // once when its read snapshot went stale), so a live feed writing while the journal
        // commits would fail; this way it waits its turn under the busy timeout.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let stored = sqlx::query(SELECT)
            .bind(&name)
            .bind(interval.secs())
            .bind(first.time)
            .bind(last.time)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(row_of)
            .collect::<Result<Vec<_>, _>>()?;
        let (fresh, unchanged) = plan_write(&stored, rows)?;
        for chunk in fresh.chunks(BATCH_ROWS) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO candles (pair, interval_secs, time, open, high, low, close, volume, trades) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(&name)
                    .push_bind(interval.secs())
                    .push_bind(r.time)
                    .push_bind(r.open.to_string())
                    .push_bind(r.high.to_string())
                    .push_bind(r.low.to_string())
                    .push_bind(r.close.to_string())
                    .push_bind(r.volume.to_string())
                    .push_bind(r.trades);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(WriteOutcome { inserted: fresh.len(), unchanged })
    }

    pub(crate) async fn candles(
        &self,
        pair: &str,
        interval_secs: i64,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<CandleRow>, StoreError> {
        let rows = sqlx::query(SELECT).bind(pair).bind(interval_secs).bind(lo).bind(hi).fetch_all(&self.pool).await?;
        rows.iter().map(row_of).collect()
    }

    pub(crate) async fn series(&self) -> Result<Vec<RawSeries>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT pair, interval_secs, COUNT(*), MIN(time), MAX(time) FROM candles \
             GROUP BY pair, interval_secs ORDER BY pair, interval_secs",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

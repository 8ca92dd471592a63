//! The PostgreSQL backend. Decimals are NUMERIC; bulk inserts go through `UNNEST` arrays so a
//! file of 50,000 candles is a handful of statements.

use crate::migrate::{self, Migration};
use crate::{RawSeries, StoreError, WriteOutcome, plan_write};
use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};

/// Rows per `UNNEST` insert.
const BATCH_ROWS: usize = 10_000;

/// A PostgreSQL-backed store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
}

const SELECT: &str = "SELECT time, open, high, low, close, volume, trades FROM candles \
    WHERE pair = $1 AND interval_secs = $2 AND time BETWEEN $3 AND $4 ORDER BY time";

fn row_of(r: &sqlx::postgres::PgRow) -> Result<CandleRow, StoreError> {
    Ok(CandleRow {
        time: r.try_get("time")?,
        open: r.try_get("open")?,
        high: r.try_get("high")?,
        low: r.try_get("low")?,
        close: r.try_get("close")?,
        volume: r.try_get("volume")?,
        trades: r.try_get("trades")?,
    })
}

impl PgStore {
    /// Connects and migrates.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().max_connections(4).connect(url).await?;
        let store = Self { pool };
        store.migrate(migrate::POSTGRES).await?;
        Ok(store)
    }

    async fn migrate(&self, steps: &[Migration]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Two processes migrating at once would race on CREATE TABLE; a transaction-scoped
        // advisory lock serialises them.
        sqlx::query("SELECT pg_advisory_xact_lock(7301)").execute(&mut *tx).await?;
        sqlx::query(migrate::CREATE_TABLE).execute(&mut *tx).await?;
        for m in steps {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
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
            sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                .bind(m.version)
                .bind(m.name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
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
        let mut tx = self.pool.begin().await?;
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
            let col = |f: fn(&CandleRow) -> rust_decimal::Decimal| chunk.iter().map(f).collect::<Vec<_>>();
            sqlx::query(
                "INSERT INTO candles (pair, interval_secs, time, open, high, low, close, volume, trades) \
                 SELECT $1, $2, * FROM UNNEST($3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[], \
                 $7::numeric[], $8::numeric[], $9::bigint[])",
            )
            .bind(&name)
            .bind(interval.secs())
            .bind(chunk.iter().map(|r| r.time).collect::<Vec<_>>())
            .bind(col(|r| r.open))
            .bind(col(|r| r.high))
            .bind(col(|r| r.low))
            .bind(col(|r| r.close))
            .bind(col(|r| r.volume))
            .bind(chunk.iter().map(|r| r.trades).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
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

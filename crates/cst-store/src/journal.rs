//! The running system's journal (`cst run`): run metadata with its checkpoint, orders (one row
//! per client order id), fills, ledger entries, positions, risk state and operator controls.
//!
//! Every write of one engine step goes in one transaction together with the checkpoint (the
//! last processed event), so after a crash the journal is exactly the state at some event
//! boundary. Inserts are keyed (`run_id` + client order id or sequence number) and ignore
//! repeats, so re-journaling a rebuilt step is a no-op: an order can never appear twice.

use crate::{Store, StoreError};
use cst_core::num::parse_decimal;
use rust_decimal::Decimal;
use serde::Serialize;

/// Runs one body against whichever pool the store has (the SQL is portable: `$n` binds).
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite(s) => {
                let $pool = &s.pool;
                $body
            }
            Store::Postgres(s) => {
                let $pool = &s.pool;
                $body
            }
        }
    };
}

/// What identifies and configures one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunMeta {
    /// Run id (derived from the configuration, so a restart with the same arguments resumes it).
    pub run_id: String,
    /// Strategy name.
    pub strategy: String,
    /// Hash of the canonical configuration.
    pub config_hash: String,
    /// The canonical configuration (JSON).
    pub config: String,
    /// `paper` or `live`.
    pub mode: String,
    /// Model versions used (JSON list; empty for rule strategies).
    pub models: String,
}

/// A run as stored, with its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    /// Metadata.
    pub meta: RunMeta,
    /// Exchange time of the last processed event (ns), `i64::MIN` before the first.
    pub last_event_ns: i64,
    /// Events processed.
    pub events: i64,
    /// How many times the run was started (1 on the first start).
    pub starts: i64,
}

/// One order sent to a venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRecord {
    /// Client order id (16 hex digits).
    pub client_order_id: String,
    /// Pair (`XBT/USD`).
    pub pair: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Quantity (base).
    pub qty: Decimal,
    /// Order type as text (`market`, `limit 123.4`, ...).
    pub kind: String,
    /// Price the decision was taken at.
    pub decision_price: Decimal,
    /// Decision time (ns).
    pub decided_ns: i64,
    /// Reduce-only flag.
    pub reduce_only: bool,
    /// `sent`, `accepted`, `rejected: ...` or `done`.
    pub status: String,
}

/// One execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FillRecord {
    /// Fill sequence number within the run (1-based).
    pub seq: i64,
    /// Client order id.
    pub client_order_id: String,
    /// Pair.
    pub pair: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Quantity.
    pub qty: Decimal,
    /// Price.
    pub price: Decimal,
    /// Fee (quote).
    pub fee: Decimal,
    /// `maker` or `taker`.
    pub liquidity: String,
    /// Reference price for slippage.
    pub reference_price: Decimal,
    /// Execution time (ns).
    pub time_ns: i64,
}

/// One balance movement in the ledger journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRecord {
    /// Sequence number within the run (1-based).
    pub seq: i64,
    /// When (ns).
    pub time_ns: i64,
    /// Asset (`XBT`, `USD`).
    pub asset: String,
    /// Signed change.
    pub delta: Decimal,
    /// Balance after the change.
    pub balance: Decimal,
    /// The order that caused it.
    pub client_order_id: String,
}

/// A position after the latest fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionRecord {
    /// Pair.
    pub pair: String,
    /// Quantity held.
    pub qty: Decimal,
    /// Cost of what is held.
    pub cost_basis: Decimal,
    /// Realized PnL (quote).
    pub realized_pnl: Decimal,
    /// Fees paid on this pair (quote).
    pub fees: Decimal,
    /// When (ns).
    pub time_ns: i64,
}

/// The risk state after a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskRecord {
    /// Kill-switch level (`normal`, `reduce-only`, ...).
    pub kill_level: String,
    /// Why it is at that level (empty at normal).
    pub kill_reason: String,
    /// Exact equity at the last marks (quote).
    pub equity: Decimal,
    /// Loss since the start of the UTC day (quote, positive = loss).
    pub daily_loss: Decimal,
    /// When (ns).
    pub time_ns: i64,
}

/// An operator control applied by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlRecord {
    /// Sequence number within the run (1-based).
    pub seq: i64,
    /// Index of the market event before which it was applied (replays apply it at the same place).
    pub at_event: i64,
    /// The command (`halt`, `pause`, ...).
    pub command: String,
    /// The operator's reason.
    pub reason: String,
}

/// Everything one engine step produced, written atomically with its checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalBatch {
    /// New orders.
    pub orders: Vec<OrderRecord>,
    /// Status changes `(client order id, status)`.
    pub statuses: Vec<(String, String)>,
    /// New fills.
    pub fills: Vec<FillRecord>,
    /// New ledger entries.
    pub ledger: Vec<LedgerRecord>,
    /// Positions that changed.
    pub positions: Vec<PositionRecord>,
    /// Risk state, when it changed.
    pub risk: Option<RiskRecord>,
    /// Controls applied.
    pub controls: Vec<ControlRecord>,
    /// Exchange time of the last event covered.
    pub last_event_ns: i64,
    /// Events processed up to and including this batch.
    pub events: i64,
}

/// Why a run cannot be resumed.
fn mismatch(stored: &RunMeta, meta: &RunMeta) -> StoreError {
    StoreError::Corrupt(format!(
        "run {} was started with configuration {} but is now given {}; use another run id",
        meta.run_id, stored.config_hash, meta.config_hash
    ))
}

fn dec(text: &str) -> Result<Decimal, StoreError> {
    parse_decimal(text).map_err(|e| StoreError::Corrupt(format!("{text:?}: {e}")))
}

type RunRow = (String, String, String, String, String, String, i64, i64, i64);
type OrderRow = (String, String, String, String, String, String, i64, i64, String);
type FillRow = (i64, String, String, String, String, String, String, String, String, i64);
type LedgerRow = (i64, i64, String, String, String, String);
type PositionRow = (String, String, String, String, String, i64);
type RiskRow = (String, String, String, String, i64);
type ControlRow = (i64, i64, String, String);

impl Store {
    /// The stored run `run_id`, if any.
    pub async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        const SQL: &str = "SELECT run_id, strategy, config_hash, config, mode, models, last_event_ns, events, \
            starts FROM runs WHERE run_id = $1";
        let row: Option<RunRow> = on_pool!(self, pool => sqlx::query_as(SQL).bind(run_id).fetch_optional(pool).await?);
        Ok(row.map(|(run_id, strategy, config_hash, config, mode, models, last_event_ns, events, starts)| RunRecord {
            meta: RunMeta { run_id, strategy, config_hash, config, mode, models },
            last_event_ns,
            events,
            starts,
        }))
    }

    /// Starts or resumes a run: creates it, or counts one more start of the stored run with the
    /// same configuration (a different configuration under the same id is refused).
    pub async fn begin_run(&self, meta: &RunMeta) -> Result<RunRecord, StoreError> {
        if let Some(stored) = self.run(&meta.run_id).await? {
            if stored.meta.config_hash != meta.config_hash {
                return Err(mismatch(&stored.meta, meta));
            }
            const BUMP: &str = "UPDATE runs SET starts = starts + 1 WHERE run_id = $1";
            on_pool!(self, pool => {
                sqlx::query(BUMP).bind(&meta.run_id).execute(pool).await?;
            });
        } else {
            const INSERT: &str = "INSERT INTO runs (run_id, strategy, config_hash, config, mode, models, \
                last_event_ns, events, starts) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1)";
            on_pool!(self, pool => {
                sqlx::query(INSERT)
                .bind(&meta.run_id)
                .bind(&meta.strategy)
                .bind(&meta.config_hash)
                .bind(&meta.config)
                .bind(&meta.mode)
                .bind(&meta.models)
                .bind(i64::MIN)
                .execute(pool)
                .await?;
            });
        }
        self.run(&meta.run_id).await?.ok_or_else(|| StoreError::Corrupt(format!("run {} vanished", meta.run_id)))
    }

    /// Writes one step's records and the checkpoint in one transaction; repeats are ignored.
    pub async fn write_journal(&self, run_id: &str, batch: &JournalBatch) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for o in &batch.orders {
                sqlx::query(
                    "INSERT INTO run_orders (run_id, client_order_id, pair, side, qty, kind, decision_price, \
                     decided_ns, reduce_only, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(run_id)
                .bind(&o.client_order_id)
                .bind(&o.pair)
                .bind(&o.side)
                .bind(o.qty.to_string())
                .bind(&o.kind)
                .bind(o.decision_price.to_string())
                .bind(o.decided_ns)
                .bind(i64::from(o.reduce_only))
                .bind(&o.status)
                .execute(&mut *tx)
                .await?;
            }
            for (id, status) in &batch.statuses {
                sqlx::query("UPDATE run_orders SET status = $1 WHERE run_id = $2 AND client_order_id = $3")
                    .bind(status)
                    .bind(run_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            for f in &batch.fills {
                sqlx::query(
                    "INSERT INTO run_fills (run_id, seq, client_order_id, pair, side, qty, price, fee, liquidity, \
                     reference_price, time_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(run_id)
                .bind(f.seq)
                .bind(&f.client_order_id)
                .bind(&f.pair)
                .bind(&f.side)
                .bind(f.qty.to_string())
                .bind(f.price.to_string())
                .bind(f.fee.to_string())
                .bind(&f.liquidity)
                .bind(f.reference_price.to_string())
                .bind(f.time_ns)
                .execute(&mut *tx)
                .await?;
            }
            for l in &batch.ledger {
                sqlx::query(
                    "INSERT INTO run_ledger (run_id, seq, time_ns, asset, delta, balance, client_order_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(run_id)
                .bind(l.seq)
                .bind(l.time_ns)
                .bind(&l.asset)
                .bind(l.delta.to_string())
                .bind(l.balance.to_string())
                .bind(&l.client_order_id)
                .execute(&mut *tx)
                .await?;
            }
            for p in &batch.positions {
                sqlx::query(
                    "INSERT INTO run_positions (run_id, pair, qty, cost_basis, realized_pnl, fees, time_ns) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, pair) DO UPDATE SET \
                     qty = excluded.qty, cost_basis = excluded.cost_basis, realized_pnl = excluded.realized_pnl, \
                     fees = excluded.fees, time_ns = excluded.time_ns",
                )
                .bind(run_id)
                .bind(&p.pair)
                .bind(p.qty.to_string())
                .bind(p.cost_basis.to_string())
                .bind(p.realized_pnl.to_string())
                .bind(p.fees.to_string())
                .bind(p.time_ns)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(r) = &batch.risk {
                sqlx::query(
                    "INSERT INTO run_risk (run_id, kill_level, kill_reason, equity, daily_loss, time_ns) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id) DO UPDATE SET \
                     kill_level = excluded.kill_level, kill_reason = excluded.kill_reason, \
                     equity = excluded.equity, daily_loss = excluded.daily_loss, time_ns = excluded.time_ns",
                )
                .bind(run_id)
                .bind(&r.kill_level)
                .bind(&r.kill_reason)
                .bind(r.equity.to_string())
                .bind(r.daily_loss.to_string())
                .bind(r.time_ns)
                .execute(&mut *tx)
                .await?;
            }
            for c in &batch.controls {
                sqlx::query(
                    "INSERT INTO run_controls (run_id, seq, at_event, command, reason) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(run_id)
                .bind(c.seq)
                .bind(c.at_event)
                .bind(&c.command)
                .bind(&c.reason)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE runs SET last_event_ns = $1, events = $2 WHERE run_id = $3 AND events <= $2")
                .bind(batch.last_event_ns)
                .bind(batch.events)
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The run's orders, by decision time then id.
    pub async fn journal_orders(&self, run_id: &str) -> Result<Vec<OrderRecord>, StoreError> {
        const SQL: &str = "SELECT client_order_id, pair, side, qty, kind, decision_price, decided_ns, reduce_only, \
            status FROM run_orders WHERE run_id = $1 ORDER BY decided_ns, client_order_id";
        let rows: Vec<OrderRow> = on_pool!(self, pool => sqlx::query_as(SQL).bind(run_id).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(client_order_id, pair, side, qty, kind, price, decided_ns, reduce_only, status)| {
                Ok(OrderRecord {
                    client_order_id,
                    pair,
                    side,
                    qty: dec(&qty)?,
                    kind,
                    decision_price: dec(&price)?,
                    decided_ns,
                    reduce_only: reduce_only != 0,
                    status,
                })
            })
            .collect()
    }

    /// The run's fills in sequence.
    pub async fn journal_fills(&self, run_id: &str) -> Result<Vec<FillRecord>, StoreError> {
        const SQL: &str = "SELECT seq, client_order_id, pair, side, qty, price, fee, liquidity, reference_price, \
            time_ns FROM run_fills WHERE run_id = $1 ORDER BY seq";
        let rows: Vec<FillRow> = on_pool!(self, pool => sqlx::query_as(SQL).bind(run_id).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(seq, client_order_id, pair, side, qty, price, fee, liquidity, reference, time_ns)| {
                Ok(FillRecord {
                    seq,
                    client_order_id,
                    pair,
                    side,
                    qty: dec(&qty)?,
                    price: dec(&price)?,
                    fee: dec(&fee)?,
                    liquidity,
                    reference_price: dec(&reference)?,
                    time_ns,
                })
            })
            .collect()
    }

    /// The run's ledger journal in sequence.
    pub async fn journal_ledger(&self, run_id: &str) -> Result<Vec<LedgerRecord>, StoreError> {
        const SQL: &str = "SELECT seq, time_ns, asset, delta, balance, client_order_id FROM run_ledger \
            WHERE run_id = $1 ORDER BY seq";
        let rows: Vec<LedgerRow> = on_pool!(self, pool => sqlx::query_as(SQL).bind(run_id).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(seq, time_ns, asset, delta, balance, client_order_id)| {
                Ok(LedgerRecord { seq, time_ns, asset, delta: dec(&delta)?, balance: dec(&balance)?, client_order_id })
            })
            .collect()
    }

    /// The run's positions, by pair.
    pub async fn journal_positions(&self, run_id: &str) -> Result<Vec<PositionRecord>, StoreError> {
        const SQL: &str = "SELECT pair, qty, cost_basis, realized_pnl, fees, time_ns FROM run_positions \
            WHERE run_id = $1 ORDER BY pair";
        let rows: Vec<PositionRow> = on_pool!(self, pool => sqlx::query_as(SQL).bind(run_id).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(pair, qty, cost, realized, fees, time_ns)| {
                Ok(PositionRecord {
                    pair,
                    qty: dec(&qty)?,
                    cost_basis: dec(&cost)?,
                    realized_pnl: dec(&realized)?,
                    fees: dec(&fees)?,
                    time_ns,
                })
            })
            .collect()
    }

    /// The run's latest risk state.
    pub async fn journal_risk(&self, run_id: &str) -> Result<Option<RiskRecord>, StoreError> {
        const SQL: &str = "SELECT kill_level, kill_reason, equity, daily_loss, time_ns FROM run_risk WHERE run_id = $1";
        let row: Option<RiskRow> = on_pool!(self, pool => sqlx::query_as(SQL).bind(run_id).fetch_optional(pool).await?);
        row.map(|(kill_level, kill_reason, equity, daily_loss, time_ns)| {
            Ok(RiskRecord { kill_level, kill_reason, equity: dec(&equity)?, daily_loss: dec(&daily_loss)?, time_ns })
        })
        .transpose()
    }

    /// The operator controls applied in the run, in sequence.
    pub async fn journal_controls(&self, run_id: &str) -> Result<Vec<ControlRecord>, StoreError> {
        const SQL: &str = "SELECT seq, at_event, command, reason FROM run_controls WHERE run_id = $1 ORDER BY seq";
        let rows: Vec<ControlRow> = on_pool!(self, pool => sqlx::query_as(SQL).bind(run_id).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(seq, at_event, command, reason)| ControlRecord { seq, at_event, command, reason })
            .collect())
    }
}

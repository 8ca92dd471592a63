//! The cache agent: copies the latest tickers (last close per pair), the engine's headline state
//! and its latest signals into Redis for other processes (`cst:<run>:ticker:<pair>`,
//! `cst:<run>:state`, `cst:<run>:signals`, JSON).
//! Redis is optional: when it is unreachable the agent reports itself degraded ("running
//! without cache"), retries now and then, and the rest of the system never waits for it.

use super::engine_agent::EngineStatus;
use super::health::{HealthBoard, HealthState};
use super::supervisor::{Shutdown, stopped};
use std::time::Duration;
use tokio::sync::watch;

/// Shortest pause between two cache writes.
const WRITE_EVERY: Duration = Duration::from_millis(200);
/// Pause before reconnecting after a failure.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Signals kept in the cache (newest first).
const CACHED_SIGNALS: usize = 50;
/// Cached keys expire unless refreshed (a stopped system leaves no stale tickers behind for long).
const TTL_SECS: u64 = 3_600;

/// Everything the cache agent needs.
#[derive(Clone)]
pub struct CacheAgent {
    /// Redis URL (`redis://127.0.0.1:6379`).
    pub url: String,
    /// Run id (key prefix).
    pub run_id: String,
    /// Engine status.
    pub status: watch::Receiver<EngineStatus>,
    /// Health board.
    pub board: HealthBoard,
    /// Shutdown signal.
    pub stop: Shutdown,
}

impl CacheAgent {
    /// Keeps the cache current until shutdown; never fails the system.
    pub async fn run(self) -> anyhow::Result<()> {
        let mut stop = self.stop.clone();
        loop {
            if let Err(e) = self.serve().await {
                let detail = format!("redis unavailable at {} ({e}); running without cache", self.url);
                self.board.set("cache", HealthState::Degraded, detail);
            }
            tokio::select! {
                _ = tokio::time::sleep(RETRY_AFTER) => {}
                _ = stopped(&mut stop) => return Ok(()),
            }
        }
    }

    async fn serve(&self) -> anyhow::Result<()> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut con = tokio::time::timeout(Duration::from_secs(2), client.get_multiplexed_async_connection())
            .await
            .map_err(|_| anyhow::anyhow!("connect timed out"))??;
        self.board.set("cache", HealthState::Healthy, format!("writing to {}", self.url));
        let (mut status, mut stop) = (self.status.clone(), self.stop.clone());
        loop {
            let s = status.borrow_and_update().clone();
            for (pair, close) in &s.marks {
                let value = serde_json::json!({"pair": pair, "close": close, "time_ns": s.last_event_ns});
                let key = format!("cst:{}:ticker:{pair}", self.run_id);
                set(&mut con, &key, &value.to_string()).await?;
            }
            let state = serde_json::json!({
                "events": s.events, "equity": s.equity, "kill_level": s.kill_level,
                "orders": s.counts.orders, "fills": s.counts.fills, "positions": s.positions,
            });
            set(&mut con, &format!("cst:{}:state", self.run_id), &state.to_string()).await?;
            let signals = signals_json(&s);
            set(&mut con, &format!("cst:{}:signals", self.run_id), &signals.to_string()).await?;
            tokio::select! {
                _ = tokio::time::sleep(WRITE_EVERY) => {}
                _ = stopped(&mut stop) => return Ok(()),
            }
            tokio::select! {
                r = status.changed() => if r.is_err() { return Ok(()) },
                _ = stopped(&mut stop) => return Ok(()),
            }
        }
    }
}

/// The newest decisions first, each with its pair name, confidence and outcome (why it was
/// traded, gated or refused), plus the total count since the run started.
fn signals_json(s: &EngineStatus) -> serde_json::Value {
    let latest: Vec<serde_json::Value> = s
        .signals
        .iter()
        .rev()
        .take(CACHED_SIGNALS)
        .map(|r| {
            let pair = s.positions.get(r.pair.index()).map_or("?", |p| p.pair.as_str());
            serde_json::json!({
                "pair": pair, "time_ns": r.time_ns, "target": r.target,
                "confidence": r.confidence, "outcome": r.outcome,
            })
        })
        .collect();
    serde_json::json!({"total": s.signals_total, "latest": latest})
}

async fn set(con: &mut redis::aio::MultiplexedConnection, key: &str, value: &str) -> redis::RedisResult<()> {
    redis::cmd("SET").arg(key).arg(value).arg("EX").arg(TTL_SECS).query_async(con).await
}

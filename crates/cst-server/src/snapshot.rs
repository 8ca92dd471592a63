//! The read model the runtime publishes and the API, dashboard and metrics read: one immutable
//! [`SystemSnapshot`] per change, shared through [`crate::state::SharedState`].
//!
//! Pure data (serde), no behaviour beyond small derivations: the runtime (`cst run`) builds it from
//! the engine, ledger, risk guard and supervisor; nothing here computes trading decisions.

use cst_core::num::{Money, Price, Qty};
use cst_core::pair::Pair;
use cst_core::quality::{GateMode, QualityReport, Verdict};
use cst_core::trade::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Longest list the snapshot keeps (fills, signals, equity points): older entries are dropped
/// so a weeks-long run keeps a bounded snapshot and API response size.
pub const MAX_LIST_LEN: usize = 2_000;

/// Everything the operator sees, at one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemSnapshot {
    /// How the system runs.
    pub mode: RunMode,
    /// Time of the last event the engine processed (RFC 3339 UTC), if any.
    pub as_of: Option<String>,
    /// The currency equity and PnL are measured in (`USD`).
    pub quote_currency: String,
    /// Headline numbers.
    pub overview: Overview,
    /// Supervised tasks and their health.
    pub agents: Vec<AgentStatus>,
    /// Open positions, one per pair.
    pub positions: Vec<PositionView>,
    /// Orders resting at the venue.
    pub open_orders: Vec<OrderView>,
    /// Most recent fills, oldest first.
    pub fills: Vec<FillView>,
    /// Equity curve, oldest first.
    pub equity: Vec<EquityPoint>,
    /// Most recent signals, oldest first.
    pub signals: Vec<SignalView>,
    /// Kill switch, pause state, limits and refusals.
    pub risk: RiskView,
    /// Data-quality gate per pair and interval.
    pub quality: Vec<PairQuality>,
    /// Models in use.
    pub models: Vec<ModelStatus>,
    /// Cumulative order and fill counts.
    pub counters: Counters,
}

impl SystemSnapshot {
    /// Drops the oldest list entries beyond [`MAX_LIST_LEN`].
    pub fn bounded(mut self) -> Self {
        keep_last(&mut self.fills, MAX_LIST_LEN);
        keep_last(&mut self.equity, MAX_LIST_LEN);
        keep_last(&mut self.signals, MAX_LIST_LEN);
        self
    }

    /// Overall health: the worst agent state (`healthy` when there are no agents).
    pub fn health(&self) -> AgentHealth {
        self.agents.iter().map(|a| a.health).max().unwrap_or(AgentHealth::Healthy)
    }
}

fn keep_last<T>(items: &mut Vec<T>, max: usize) {
    if items.len() > max {
        items.drain(..items.len() - max);
    }
}

/// How the system runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunMode {
    /// Serving the API only, no engine (`cst serve`).
    #[default]
    Idle,
    /// Paper trading on recorded data.
    Replay,
    /// Paper trading on the live feed.
    Paper,
    /// Real orders.
    Live,
}

/// Headline numbers of the dashboard's overview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Current equity (cash plus marked positions).
    pub equity: Money,
    /// Highest equity seen.
    pub peak_equity: Money,
    /// PnL since the start of the current UTC day.
    pub pnl_today: Money,
    /// Realized PnL since start.
    pub realized_pnl: Money,
    /// Unrealized PnL of open positions.
    pub unrealized_pnl: Money,
    /// Drawdown from the peak as a fraction (0.05 = 5 %); display only.
    pub drawdown_ratio: f64,
    /// Gross exposure: sum of absolute position notionals at mark.
    pub exposure: Money,
}

/// Health of one supervised task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentHealth {
    /// Running normally.
    Healthy,
    /// Launched, not yet ready.
    Starting,
    /// Running with problems (lagging, reconnecting).
    Degraded,
    /// Stopped after an error; the supervisor restarts it with backoff.
    Failed,
}

impl AgentHealth {
    /// Gauge value for Prometheus: 0 healthy, 1 starting, 2 degraded, 3 failed.
    pub fn gauge(self) -> f64 {
        match self {
            AgentHealth::Healthy => 0.0,
            AgentHealth::Starting => 1.0,
            AgentHealth::Degraded => 2.0,
            AgentHealth::Failed => 3.0,
        }
    }
}

/// One supervised task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStatus {
    /// Task name (`market-data`, `engine`, `venue`, `persistence`, `api`).
    pub name: String,
    /// Current health.
    pub health: AgentHealth,
    /// Restarts since the process started.
    pub restarts: u64,
    /// Last error message, if any.
    pub last_error: Option<String>,
    /// When the current health began (RFC 3339 UTC).
    pub since: Option<String>,
}

/// A position in one pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionView {
    /// The pair.
    pub pair: Pair,
    /// Signed base quantity: positive long, negative short.
    pub qty: Decimal,
    /// Average entry price, if the position is open.
    pub avg_price: Option<Price>,
    /// Last mark price.
    pub mark_price: Option<Price>,
    /// Notional at mark (absolute, quote currency).
    pub notional: Money,
    /// Unrealized PnL at mark.
    pub unrealized_pnl: Money,
    /// Realized PnL in this pair.
    pub realized_pnl: Money,
}

/// An order resting at the venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    /// Idempotent client order id.
    pub client_order_id: String,
    /// The pair.
    pub pair: Pair,
    /// Buy or sell.
    pub side: Side,
    /// `limit` or `market`.
    pub kind: String,
    /// Ordered quantity.
    pub qty: Qty,
    /// Limit price (none for market orders).
    pub price: Option<Price>,
    /// Quantity filled so far.
    pub filled_qty: Qty,
    /// When it was placed (RFC 3339 UTC).
    pub placed_at: String,
    /// `scheduled` (a TWAP slice not yet released), `sent` or `accepted`.
    #[serde(default)]
    pub status: String,
    /// Seconds since it was decided, at the snapshot's `as_of`.
    #[serde(default)]
    pub age_secs: Option<i64>,
}

/// One execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillView {
    /// The order it belongs to.
    pub client_order_id: String,
    /// The pair.
    pub pair: Pair,
    /// Buy or sell.
    pub side: Side,
    /// Filled quantity.
    pub qty: Qty,
    /// Execution price.
    pub price: Price,
    /// Fee paid (quote currency).
    pub fee: Money,
    /// When (RFC 3339 UTC).
    pub time: String,
}

/// One point of the equity curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EquityPoint {
    /// When (RFC 3339 UTC).
    pub time: String,
    /// Equity at that time.
    pub equity: Money,
}

/// Direction a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Go or stay long.
    Long,
    /// Go or stay short.
    Short,
    /// Stay out.
    Flat,
}

/// What became of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalOutcome {
    /// Passed the gate and the risk guard: an order followed.
    Accepted,
    /// Stopped by the signal gate (confidence below threshold, data quality).
    Gated,
    /// Stopped by the risk guard, the execution policy, a pause or the minimum order size.
    Refused,
    /// Nothing to do: the position already matched the target.
    Unchanged,
}

/// One signal with its fate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalView {
    /// When (RFC 3339 UTC).
    pub time: String,
    /// The pair.
    pub pair: Pair,
    /// Direction asked for.
    pub direction: Direction,
    /// Calibrated probability in [0, 1]; `None` for rule strategies, which have none.
    pub confidence: Option<f64>,
    /// Target position as a fraction of the allotted equity (0 flat, 1 fully long).
    #[serde(default)]
    pub target: Option<f64>,
    /// Source (strategy or model name).
    pub source: String,
    /// Accepted, gated or refused.
    pub outcome: SignalOutcome,
    /// Why it was gated or refused.
    pub reason: Option<String>,
}

/// Kill-switch level; the same ladder as the engine's `cst_core::event::KillLevel`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KillLevel {
    /// Trading normally.
    #[default]
    Normal,
    /// Trading, with an alert raised.
    Warn,
    /// Only orders that reduce exposure.
    ReduceOnly,
    /// Closing every position, nothing else.
    Flatten,
    /// Nothing at all.
    Halt,
}

impl KillLevel {
    /// Gauge value for Prometheus: 0 normal … 4 halt.
    pub fn gauge(self) -> f64 {
        match self {
            KillLevel::Normal => 0.0,
            KillLevel::Warn => 1.0,
            KillLevel::ReduceOnly => 2.0,
            KillLevel::Flatten => 3.0,
            KillLevel::Halt => 4.0,
        }
    }
}

/// One move of the kill switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillTransitionView {
    /// Level before.
    pub from: KillLevel,
    /// Level after.
    pub to: KillLevel,
    /// What fired it (`drawdown`, `daily-loss`, `operator`, …).
    pub trigger: String,
    /// Human-readable detail.
    pub reason: String,
    /// When (RFC 3339 UTC).
    pub at: String,
}

/// How often the risk guard refused for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalCount {
    /// Refusal reason code (`max-position`, `daily-loss`, `kill-switch`, …).
    pub reason: String,
    /// Refusals since start.
    pub count: u64,
}

/// Risk state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskView {
    /// Current kill-switch level.
    pub kill_level: KillLevel,
    /// New entries paused by the operator (exits still allowed).
    pub paused: bool,
    /// Loss so far today (positive number = loss).
    pub daily_loss: Money,
    /// Daily loss that halts trading.
    pub daily_loss_limit: Money,
    /// Drawdown fraction that halts trading.
    pub max_drawdown_ratio: f64,
    /// The latest kill-switch move.
    pub last_transition: Option<KillTransitionView>,
    /// Refusals by reason.
    pub refusals: Vec<RefusalCount>,
    /// Every configured limit of the risk guard, keyed as in a strategy file's `[risk]` table
    /// (`cst_core::risk::RiskLimits`; `null` means the limit is off); `None` before an engine runs.
    #[serde(default)]
    pub limits: Option<serde_json::Value>,
}

/// Cumulative order and fill counts since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Orders sent to the venue.
    pub orders_placed: u64,
    /// Cancels sent to the venue.
    pub orders_cancelled: u64,
    /// Fills received.
    pub fills: u64,
    /// Strategy signals (targets) since start.
    #[serde(default)]
    pub signals: u64,
    /// Those signals by outcome (traded, gated, refused by risk or execution, paused, below the
    /// minimum order, unchanged).
    #[serde(default)]
    pub signal_outcomes: cst_core::signal::OutcomeCounts,
}

/// The data-quality gate's verdict for one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairQuality {
    /// Pair (wsname).
    pub pair: String,
    /// Interval (`1h`).
    pub interval: String,
    /// May the engine trade on it?
    pub tradable: bool,
    /// `pass`, `warn` or `fail`.
    pub verdict: String,
    /// Remarks or blocking reasons.
    pub reasons: Vec<String>,
    /// Rows examined.
    pub rows: usize,
    /// Completeness (present / expected).
    pub completeness_ratio: f64,
    /// Open time of the last candle.
    pub last: Option<String>,
    /// Gaps in the series (runs of missing candles).
    #[serde(default)]
    pub gap_count: usize,
    /// Candles missing in all gaps.
    #[serde(default)]
    pub missing: i64,
    /// Longest gap (candles).
    #[serde(default)]
    pub longest_gap: i64,
    /// Age of the last candle's close when assessed (seconds), if a clock was given.
    #[serde(default)]
    pub age_secs: Option<i64>,
    /// Older than the timeliness limit (blocks trading only in production mode).
    #[serde(default)]
    pub stale: bool,
}

impl PairQuality {
    /// Summarizes a gate report under the given gate mode.
    pub fn from_report(report: &QualityReport, mode: GateMode) -> Self {
        let blocking = report.blocking_reasons(mode);
        let (verdict, remarks) = match &report.verdict {
            Verdict::Pass => ("pass", Vec::new()),
            Verdict::Warn(r) => ("warn", r.clone()),
            Verdict::Fail(r) => ("fail", r.clone()),
        };
        PairQuality {
            pair: report.pair.clone(),
            interval: report.interval.to_string(),
            tradable: blocking.is_empty(),
            verdict: verdict.to_string(),
            reasons: if blocking.is_empty() { remarks } else { blocking },
            rows: report.rows,
            completeness_ratio: report.completeness.ratio,
            last: report.last.clone(),
            gap_count: report.completeness.gap_count,
            missing: report.completeness.missing,
            longest_gap: report.completeness.longest_gap,
            age_secs: report.timeliness.age_secs,
            stale: report.timeliness.stale,
        }
    }
}

/// A model in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelStatus {
    /// Model name.
    pub name: String,
    /// Version (content hash or registry version).
    pub version: String,
    /// Pairs it serves.
    pub pairs: Vec<String>,
    /// When it was trained (RFC 3339 UTC).
    pub trained_at: Option<String>,
    /// `active`, `shadow`, `drifting`, `disabled`.
    pub status: String,
    /// Out-of-sample score it was accepted with (e.g. Brier score), if known.
    pub score: Option<f64>,
}

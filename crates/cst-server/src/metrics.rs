//! Every Prometheus metric of the system, named and documented in one place.
//!
//! Two kinds of sources:
//! - push metrics, recorded where things happen (feed, book, rate limiter, engine loop) through
//!   the `record_*`/`set_*` functions below;
//! - state metrics, derived from the published [`SystemSnapshot`] at each scrape by
//!   [`observe_snapshot`] (PnL, equity, drawdown, exposure, kill switch, agents, quality gate,
//!   order/fill/refusal counts), so they can never disagree with the API.
//!
//! Amounts are in the quote currency as `f64` (Prometheus has no decimals; display only).

use crate::snapshot::SystemSnapshot;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use rust_decimal::prelude::ToPrimitive;
use std::sync::OnceLock;

/// Seconds between the exchange timestamp of the last message and its receipt, per pair.
pub const FEED_LAG_SECONDS: &str = "cst_feed_lag_seconds";
/// Market-data messages received, by pair and channel (`book`, `trade`, `ticker`, `ohlc`).
pub const FEED_MESSAGES_TOTAL: &str = "cst_feed_messages_total";
/// 1 while the market-data connection is up, by feed (`kraken-ws`, `replay`).
pub const FEED_CONNECTED: &str = "cst_feed_connected";
/// Live candle-feed anomalies, flagged and never repaired, by kind (`gap`, `missing_interval`,
/// `duplicate`, `revision`, `out_of_order`, `rejected`, `stale`).
pub const FEED_CANDLE_ANOMALIES_TOTAL: &str = "cst_feed_candle_anomalies_total";
/// Order-book CRC32 checksum mismatches, by pair.
pub const BOOK_CHECKSUM_FAILURES_TOTAL: &str = "cst_book_checksum_failures_total";
/// Order-book resynchronisations (fresh snapshot after a mismatch or gap), by pair.
pub const BOOK_RESYNCS_TOTAL: &str = "cst_book_resyncs_total";
/// 1 when the data-quality gate lets the pair trade, 0 when it blocks, by pair and interval.
pub const DATA_QUALITY_TRADABLE: &str = "cst_data_quality_tradable";
/// Remaining fraction (0–1) of a rate limiter's budget, by limiter.
pub const RATE_LIMITER_HEADROOM_RATIO: &str = "cst_rate_limiter_headroom_ratio";
/// Orders sent to the venue.
pub const ORDERS_PLACED_TOTAL: &str = "cst_orders_placed_total";
/// Cancels sent to the venue.
pub const ORDERS_CANCELLED_TOTAL: &str = "cst_orders_cancelled_total";
/// Fills received.
pub const FILLS_TOTAL: &str = "cst_fills_total";
/// Orders resting at the venue.
pub const OPEN_ORDERS: &str = "cst_open_orders";
/// Risk-guard refusals, by reason.
pub const REFUSALS_TOTAL: &str = "cst_refusals_total";
/// Strategy signals by what became of them.
pub const SIGNALS_TOTAL: &str = "cst_signals_total";
/// Live order gateway: what it did with orders and executions, by event.
pub const GATEWAY_EVENTS_TOTAL: &str = "cst_gateway_events_total";
/// Live order gateway: orders working at Kraken.
pub const GATEWAY_WORKING_ORDERS: &str = "cst_gateway_working_orders";
/// Realised slippage of each fill against its reference price, in basis points, by pair.
pub const SLIPPAGE_BPS: &str = "cst_slippage_bps";
/// The execution policy's slippage budget, in basis points, by pair.
pub const SLIPPAGE_BUDGET_BPS: &str = "cst_slippage_budget_bps";
/// Fills whose slippage exceeded the budget, by pair.
pub const SLIPPAGE_OVER_BUDGET_TOTAL: &str = "cst_slippage_over_budget_total";
/// Realised PnL since start (quote currency).
pub const PNL_REALIZED: &str = "cst_pnl_realized";
/// Unrealised PnL of open positions (quote currency).
pub const PNL_UNREALIZED: &str = "cst_pnl_unrealized";
/// PnL since the start of the UTC day (quote currency).
pub const PNL_TODAY: &str = "cst_pnl_today";
/// Equity: cash plus marked positions (quote currency).
pub const EQUITY: &str = "cst_equity";
/// Drawdown from the equity peak as a fraction.
pub const DRAWDOWN_RATIO: &str = "cst_drawdown_ratio";
/// Drawdown fraction at which the risk guard halts.
pub const DRAWDOWN_LIMIT_RATIO: &str = "cst_drawdown_limit_ratio";
/// Gross exposure at mark (quote currency).
pub const EXPOSURE: &str = "cst_exposure";
/// Kill-switch level: 0 normal, 1 warn, 2 reduce-only, 3 flatten, 4 halt.
pub const KILL_SWITCH_LEVEL: &str = "cst_kill_switch_level";
/// 1 while new entries are paused by the operator.
pub const PAUSED: &str = "cst_paused";
/// Restarts of a supervised agent since process start, by agent.
pub const AGENT_RESTARTS_TOTAL: &str = "cst_agent_restarts_total";
/// Agent health: 0 healthy, 1 starting, 2 degraded, 3 failed, by agent.
pub const AGENT_HEALTH: &str = "cst_agent_health";
/// Time the engine spends on one event (`Engine::on_event`), seconds.
pub const ENGINE_EVENT_LATENCY_SECONDS: &str = "cst_engine_event_latency_seconds";

/// Every metric name above, for documentation checks.
pub const ALL: [&str; 31] = [
    FEED_LAG_SECONDS,
    FEED_MESSAGES_TOTAL,
    FEED_CONNECTED,
    FEED_CANDLE_ANOMALIES_TOTAL,
    BOOK_CHECKSUM_FAILURES_TOTAL,
    BOOK_RESYNCS_TOTAL,
    DATA_QUALITY_TRADABLE,
    RATE_LIMITER_HEADROOM_RATIO,
    ORDERS_PLACED_TOTAL,
    ORDERS_CANCELLED_TOTAL,
    FILLS_TOTAL,
    OPEN_ORDERS,
    REFUSALS_TOTAL,
    SIGNALS_TOTAL,
    GATEWAY_EVENTS_TOTAL,
    GATEWAY_WORKING_ORDERS,
    SLIPPAGE_BPS,
    SLIPPAGE_BUDGET_BPS,
    SLIPPAGE_OVER_BUDGET_TOTAL,
    PNL_REALIZED,
    PNL_UNREALIZED,
    PNL_TODAY,
    EQUITY,
    DRAWDOWN_RATIO,
    DRAWDOWN_LIMIT_RATIO,
    EXPOSURE,
    KILL_SWITCH_LEVEL,
    PAUSED,
    AGENT_RESTARTS_TOTAL,
    AGENT_HEALTH,
    ENGINE_EVENT_LATENCY_SECONDS,
];

/// Histogram buckets of the engine latency (seconds): 1 µs to 100 ms.
const LATENCY_BUCKETS_SECS: [f64; 11] = [1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2, 1e-1];
/// Histogram buckets of slippage (bps).
const SLIPPAGE_BUCKETS_BPS: [f64; 9] = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0];

/// The Prometheus recorder could not be installed (another global recorder was set first).
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot install the Prometheus recorder: {0}")]
pub struct InstallError(String);

/// Installs the process-wide Prometheus recorder once and returns its handle (later and
/// concurrent calls return the same handle).
pub fn install() -> Result<PrometheusHandle, InstallError> {
    static HANDLE: OnceLock<Result<PrometheusHandle, InstallError>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = build().and_then(|b| b.install_recorder()).map_err(|e| InstallError(e.to_string()))?;
            describe_all();
            Ok(handle)
        })
        .clone()
}

fn build() -> Result<PrometheusBuilder, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(ENGINE_EVENT_LATENCY_SECONDS.into()), &LATENCY_BUCKETS_SECS)?
        .set_buckets_for_metric(Matcher::Full(SLIPPAGE_BPS.into()), &SLIPPAGE_BUCKETS_BPS)
}

fn describe_all() {
    describe_gauge!(FEED_LAG_SECONDS, "Exchange-to-receipt lag of the last market-data message, seconds");
    describe_counter!(FEED_MESSAGES_TOTAL, "Market-data messages received");
    describe_gauge!(FEED_CONNECTED, "1 while the market-data connection is up");
    describe_counter!(FEED_CANDLE_ANOMALIES_TOTAL, "Live candle-feed anomalies (gaps, duplicates, ...) by kind");
    describe_counter!(BOOK_CHECKSUM_FAILURES_TOTAL, "Order-book checksum mismatches");
    describe_counter!(BOOK_RESYNCS_TOTAL, "Order-book resynchronisations");
    describe_gauge!(DATA_QUALITY_TRADABLE, "1 when the data-quality gate lets the pair trade");
    describe_gauge!(RATE_LIMITER_HEADROOM_RATIO, "Remaining fraction of a rate limiter's budget");
    describe_counter!(ORDERS_PLACED_TOTAL, "Orders sent to the venue");
    describe_counter!(ORDERS_CANCELLED_TOTAL, "Cancels sent to the venue");
    describe_counter!(FILLS_TOTAL, "Fills received");
    describe_gauge!(OPEN_ORDERS, "Orders resting at the venue");
    describe_counter!(REFUSALS_TOTAL, "Risk-guard refusals by reason");
    describe_counter!(
        GATEWAY_EVENTS_TOTAL,
        "Live gateway: orders sent, accepted, rejected, unknown outcome, fills booked and refused, cancels, done"
    );
    describe_gauge!(GATEWAY_WORKING_ORDERS, "Live gateway: orders working at the exchange");
    describe_counter!(
        SIGNALS_TOTAL,
        "Strategy signals by outcome: traded, gated, risk-refused, execution-refused, paused, below-minimum, unchanged"
    );
    describe_histogram!(SLIPPAGE_BPS, "Realised slippage per fill, basis points");
    describe_gauge!(SLIPPAGE_BUDGET_BPS, "Slippage budget, basis points");
    describe_counter!(SLIPPAGE_OVER_BUDGET_TOTAL, "Fills whose slippage exceeded the budget");
    describe_gauge!(PNL_REALIZED, "Realised PnL, quote currency");
    describe_gauge!(PNL_UNREALIZED, "Unrealised PnL, quote currency");
    describe_gauge!(PNL_TODAY, "PnL since the start of the UTC day, quote currency");
    describe_gauge!(EQUITY, "Equity, quote currency");
    describe_gauge!(DRAWDOWN_RATIO, "Drawdown from the equity peak, fraction");
    describe_gauge!(DRAWDOWN_LIMIT_RATIO, "Drawdown fraction at which trading halts");
    describe_gauge!(EXPOSURE, "Gross exposure at mark, quote currency");
    describe_gauge!(KILL_SWITCH_LEVEL, "Kill switch: 0 normal, 1 warn, 2 reduce-only, 3 flatten, 4 halt");
    describe_gauge!(PAUSED, "1 while new entries are paused");
    describe_counter!(AGENT_RESTARTS_TOTAL, "Agent restarts since process start");
    describe_gauge!(AGENT_HEALTH, "Agent health: 0 healthy, 1 starting, 2 degraded, 3 failed");
    describe_histogram!(ENGINE_EVENT_LATENCY_SECONDS, "Engine time per event, seconds");
}

/// One market-data message received on `channel` for `pair`, `lag_secs` after its exchange time.
pub fn record_feed_message(pair: &str, channel: &str, lag_secs: f64) {
    counter!(FEED_MESSAGES_TOTAL, "pair" => pair.to_string(), "channel" => channel.to_string()).increment(1);
    gauge!(FEED_LAG_SECONDS, "pair" => pair.to_string()).set(lag_secs);
}

/// The feed connection went up or down.
pub fn set_feed_connected(feed: &str, connected: bool) {
    gauge!(FEED_CONNECTED, "feed" => feed.to_string()).set(if connected { 1.0 } else { 0.0 });
}

/// `n` more live candle-feed anomalies of `kind`.
pub fn record_feed_anomalies(kind: &str, n: u64) {
    counter!(FEED_CANDLE_ANOMALIES_TOTAL, "kind" => kind.to_string()).increment(n);
}

/// A book checksum mismatch on `pair`.
pub fn record_checksum_failure(pair: &str) {
    counter!(BOOK_CHECKSUM_FAILURES_TOTAL, "pair" => pair.to_string()).increment(1);
}

/// A book resync on `pair`.
pub fn record_resync(pair: &str) {
    counter!(BOOK_RESYNCS_TOTAL, "pair" => pair.to_string()).increment(1);
}

/// Remaining budget fraction of a rate limiter (`rest-private`, `ws-orders`).
pub fn set_rate_limiter_headroom(limiter: &str, ratio: f64) {
    gauge!(RATE_LIMITER_HEADROOM_RATIO, "limiter" => limiter.to_string()).set(ratio);
}

/// The live gateway's cumulative counts by event and its working orders.
pub fn set_gateway(events: &[(&'static str, u64)], working: usize) {
    for &(event, n) in events {
        counter!(GATEWAY_EVENTS_TOTAL, "event" => event).absolute(n);
    }
    gauge!(GATEWAY_WORKING_ORDERS).set(working as f64);
}

/// Slippage of one fill against its budget.
pub fn record_slippage(pair: &str, slippage_bps: f64, budget_bps: f64) {
    histogram!(SLIPPAGE_BPS, "pair" => pair.to_string()).record(slippage_bps);
    gauge!(SLIPPAGE_BUDGET_BPS, "pair" => pair.to_string()).set(budget_bps);
    let over = counter!(SLIPPAGE_OVER_BUDGET_TOTAL, "pair" => pair.to_string());
    over.increment(u64::from(slippage_bps > budget_bps));
}

/// Time one `Engine::on_event` call took.
pub fn record_engine_event_latency(secs: f64) {
    histogram!(ENGINE_EVENT_LATENCY_SECONDS).record(secs);
}

fn money(m: cst_core::num::Money) -> f64 {
    m.value().to_f64().unwrap_or(f64::NAN)
}

/// Sets every state metric from the snapshot (called at each scrape).
pub fn observe_snapshot(s: &SystemSnapshot) {
    let o = &s.overview;
    gauge!(PNL_REALIZED).set(money(o.realized_pnl));
    gauge!(PNL_UNREALIZED).set(money(o.unrealized_pnl));
    gauge!(PNL_TODAY).set(money(o.pnl_today));
    gauge!(EQUITY).set(money(o.equity));
    gauge!(DRAWDOWN_RATIO).set(o.drawdown_ratio);
    gauge!(EXPOSURE).set(money(o.exposure));
    gauge!(DRAWDOWN_LIMIT_RATIO).set(s.risk.max_drawdown_ratio);
    gauge!(KILL_SWITCH_LEVEL).set(s.risk.kill_level.gauge());
    gauge!(PAUSED).set(if s.risk.paused { 1.0 } else { 0.0 });
    gauge!(OPEN_ORDERS).set(s.open_orders.len() as f64);
    counter!(ORDERS_PLACED_TOTAL).absolute(s.counters.orders_placed);
    counter!(ORDERS_CANCELLED_TOTAL).absolute(s.counters.orders_cancelled);
    counter!(FILLS_TOTAL).absolute(s.counters.fills);
    for r in &s.risk.refusals {
        counter!(REFUSALS_TOTAL, "reason" => r.reason.clone()).absolute(r.count);
    }
    for (outcome, n) in s.counters.signal_outcomes.labelled() {
        counter!(SIGNALS_TOTAL, "outcome" => outcome).absolute(n);
    }
    for a in &s.agents {
        counter!(AGENT_RESTARTS_TOTAL, "agent" => a.name.clone()).absolute(a.restarts);
        gauge!(AGENT_HEALTH, "agent" => a.name.clone()).set(a.health.gauge());
    }
    for q in &s.quality {
        let tradable = if q.tradable { 1.0 } else { 0.0 };
        gauge!(DATA_QUALITY_TRADABLE, "pair" => q.pair.clone(), "interval" => q.interval.clone()).set(tradable);
    }
}

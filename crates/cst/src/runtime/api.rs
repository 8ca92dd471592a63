//! The API agent: serves cst-server's router (`/api/v1`, dashboard, `/health`, `/metrics`) over
//! a read model that this module publishes from the engine status, the agents' health and the
//! replayed data's quality, and bridges the API's operator controls (pause, resume and the
//! kill-switch levels) to the engine, which journals them.

use super::engine_agent::{EngineStatus, OperatorControl};
use super::health::{HealthBoard, HealthState};
use super::supervisor::{Shutdown, stopped};
use super::trader::OperatorAction;
use cst_core::event::KillLevel as CoreKill;
use cst_core::num::{Money, Price, Qty};
use cst_core::time::Timestamp;
use cst_server::control::{ControlCommand, ControlRequest};
use cst_server::snapshot::{
    AgentHealth, AgentStatus, Counters, Direction, EquityPoint, FillView, KillLevel, KillTransitionView, ModelStatus,
    OrderView, Overview, PairQuality, PositionView, RefusalCount, RiskView, RunMode, SignalOutcome, SignalView,
    SystemSnapshot,
};
use cst_server::state::SharedState;
use rust_decimal::Decimal;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Shortest pause between two published snapshots.
const PUBLISH_EVERY: Duration = Duration::from_millis(50);
/// Longest pause between two published snapshots (agent health moves without engine events).
const HEALTH_EVERY: Duration = Duration::from_millis(500);
/// Equity points kept for the chart.
const CURVE_POINTS: usize = 2_000;

fn time_text(ns: i64) -> String {
    Timestamp::from_nanos(ns).to_rfc3339()
}

fn health_of(s: HealthState) -> AgentHealth {
    match s {
        HealthState::Starting => AgentHealth::Starting,
        HealthState::Healthy => AgentHealth::Healthy,
        HealthState::Degraded => AgentHealth::Degraded,
        HealthState::Failed => AgentHealth::Failed,
    }
}

fn kill_of(text: &str) -> KillLevel {
    serde_json::from_value(serde_json::Value::String(text.to_string())).unwrap_or_default()
}

fn positions(s: &EngineStatus) -> (Vec<PositionView>, Decimal) {
    let mut exposure = Decimal::ZERO;
    let views = s
        .positions
        .iter()
        .filter_map(|p| {
            let pair = p.pair.parse().ok()?;
            let mark = s.marks.iter().find(|(n, _)| *n == p.pair).map(|(_, m)| *m);
            let notional = mark.map_or(Decimal::ZERO, |m| m * p.qty);
            exposure += notional.abs();
            Some(PositionView {
                pair,
                qty: p.qty,
                avg_price: (!p.qty.is_zero()).then(|| Price::new(p.cost_basis / p.qty).ok()).flatten(),
                mark_price: mark.and_then(|m| Price::new(m).ok()),
                notional: Money::new(notional),
                unrealized_pnl: Money::new(notional - p.cost_basis),
                realized_pnl: Money::new(p.realized_pnl),
            })
        })
        .collect();
    (views, exposure)
}

fn fills(s: &EngineStatus, names: &[String]) -> Vec<FillView> {
    s.recent_fills
        .iter()
        .rev()
        .filter_map(|f| {
            Some(FillView {
                client_order_id: super::trader::id_text(f.id.0),
                pair: names.get(f.pair.index())?.parse().ok()?,
                side: f.side,
                qty: f.qty,
                price: f.price,
                fee: f.fee,
                time: time_text(f.stamp.exchange_ns),
            })
        })
        .collect()
}

fn open_orders(s: &EngineStatus) -> Vec<OrderView> {
    s.open_orders
        .iter()
        .filter_map(|o| {
            Some(OrderView {
                client_order_id: o.client_order_id.clone(),
                pair: o.pair.parse().ok()?,
                side: o.side,
                kind: o.kind.clone(),
                qty: Qty::new(o.qty).ok()?,
                price: o.price.and_then(|p| Price::new(p).ok()),
                filled_qty: Qty::new(o.filled).unwrap_or(Qty::ZERO),
                placed_at: time_text(o.decided_ns),
                status: o.status.clone(),
                age_secs: Some((s.last_event_ns - o.decided_ns).max(0) / 1_000_000_000),
            })
        })
        .collect()
}

fn signals(s: &EngineStatus, names: &[String]) -> Vec<SignalView> {
    use cst_core::signal::SignalOutcome as Core;
    s.signals
        .iter()
        .filter_map(|r| {
            let outcome = match r.outcome {
                Core::Traded => SignalOutcome::Accepted,
                Core::Gated => SignalOutcome::Gated,
                Core::Unchanged => SignalOutcome::Unchanged,
                _ => SignalOutcome::Refused,
            };
            let direction = match r.target {
                t if t > 0.0 => Direction::Long,
                t if t < 0.0 => Direction::Short,
                _ => Direction::Flat,
            };
            Some(SignalView {
                time: time_text(r.time_ns),
                pair: names.get(r.pair.index())?.parse().ok()?,
                direction,
                confidence: r.confidence,
                target: Some(r.target),
                source: s.strategies.get(r.pair.index()).cloned().unwrap_or_default(),
                outcome,
                reason: r.outcome.reason(),
            })
        })
        .collect()
}

/// One entry per distinct strategy, with the pairs it drives. Rule strategies report `rule`; a
/// model strategy reports the version it carries (for `ml-ensemble`, the registry id, which is
/// content-derived and so names the exact model bytes).
fn models(s: &EngineStatus, names: &[String]) -> Vec<ModelStatus> {
    let mut out: Vec<ModelStatus> = Vec::new();
    for ((name, version), pair) in s.strategies.iter().zip(&s.strategy_versions).zip(names) {
        match out.iter_mut().find(|m| m.name == *name) {
            Some(m) => m.pairs.push(pair.clone()),
            None => out.push(ModelStatus {
                name: name.clone(),
                version: version.clone().unwrap_or_else(|| "rule".to_string()),
                pairs: vec![pair.clone()],
                trained_at: None,
                status: if s.paused { "paused" } else { "active" }.to_string(),
                score: None,
            }),
        }
    }
    out
}

/// The drawdown at which the guard stops new exposure: `max_drawdown`, else the lowest
/// kill-switch step that does (reduce-only and above); 0 when none is set.
fn drawdown_limit(l: &cst_core::risk::RiskLimits) -> f64 {
    l.max_drawdown
        .or([l.kill_reduce_only_drawdown, l.kill_flatten_drawdown, l.kill_halt_drawdown]
            .into_iter()
            .flatten()
            .reduce(f64::min))
        .unwrap_or(0.0)
}

fn risk(s: &EngineStatus) -> RiskView {
    let daily_limit = s
        .limits
        .daily_loss_limit
        .and_then(|f| Decimal::try_from(f).ok())
        .map_or(Decimal::ZERO, |f| (f * s.day_start_equity).round_dp(2));
    RiskView {
        kill_level: kill_of(&s.kill_level),
        paused: s.paused,
        daily_loss: Money::new(s.daily_loss),
        daily_loss_limit: Money::new(daily_limit),
        max_drawdown_ratio: drawdown_limit(&s.limits),
        limits: serde_json::to_value(&s.limits).ok(),
        last_transition: s.last_transition.as_ref().map(|(from, to, trigger, reason, at)| KillTransitionView {
            from: kill_of(from),
            to: kill_of(to),
            trigger: trigger.clone(),
            reason: reason.clone(),
            at: time_text(*at),
        }),
        refusals: s
            .refusals
            .iter()
            .map(|(reason, count)| RefusalCount { reason: reason.clone(), count: *count })
            .collect(),
    }
}

/// What the read model shows that is fixed for the run.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    /// The quote currency.
    pub quote: String,
    /// The quality gate's report on each replayed series, assessed at start.
    pub quality: Vec<PairQuality>,
}

/// Builds the read model from the engine status, the agents, the equity curve and the run's facts.
pub fn snapshot(s: &EngineStatus, board: &HealthBoard, curve: &[EquityPoint], facts: &RunFacts) -> SystemSnapshot {
    let names: Vec<String> = s.positions.iter().map(|p| p.pair.clone()).collect();
    let (positions, exposure) = positions(s);
    let peak = curve.iter().map(|p| p.equity.value()).max().unwrap_or(s.equity).max(s.equity);
    let realized: Decimal = s.positions.iter().map(|p| p.realized_pnl - p.fees).sum();
    let unrealized: Decimal = positions.iter().map(|p| p.unrealized_pnl.value()).sum();
    SystemSnapshot {
        mode: RunMode::Replay,
        as_of: (s.last_event_ns > 0).then(|| time_text(s.last_event_ns)),
        quote_currency: facts.quote.clone(),
        overview: Overview {
            equity: Money::new(s.equity),
            peak_equity: Money::new(peak),
            pnl_today: Money::new(-s.daily_loss),
            realized_pnl: Money::new(realized),
            unrealized_pnl: Money::new(unrealized),
            drawdown_ratio: s.drawdown,
            exposure: Money::new(exposure),
        },
        agents: board
            .all()
            .into_iter()
            .map(|a| AgentStatus {
                name: a.name,
                health: health_of(a.state),
                restarts: a.restarts,
                last_error: (a.state != HealthState::Healthy && !a.detail.is_empty()).then_some(a.detail),
                since: None,
            })
            .collect(),
        positions,
        fills: fills(s, &names),
        open_orders: open_orders(s),
        signals: signals(s, &names),
        equity: curve.to_vec(),
        risk: risk(s),
        quality: facts.quality.clone(),
        models: models(s, &names),
        counters: Counters {
            orders_placed: s.counts.orders,
            orders_cancelled: s.counts.cancels,
            fills: s.counts.fills,
            signals: s.signals_total,
            signal_outcomes: s.signal_outcomes,
        },
    }
}

/// Publishes a snapshot whenever the engine status changes (at most every [`PUBLISH_EVERY`]).
pub async fn publish(
    mut status: watch::Receiver<EngineStatus>,
    board: HealthBoard,
    state: SharedState,
    facts: RunFacts,
    mut stop: Shutdown,
) {
    let mut curve: Vec<EquityPoint> = Vec::new();
    loop {
        let s = status.borrow_and_update().clone();
        if s.last_event_ns > 0 && curve.last().is_none_or(|p| p.time != time_text(s.last_event_ns)) {
            if curve.len() == CURVE_POINTS {
                // Halve the resolution instead of dropping the start of the run.
                curve = curve.into_iter().step_by(2).collect();
            }
            curve.push(EquityPoint { time: time_text(s.last_event_ns), equity: Money::new(s.equity) });
        }
        let snap = snapshot(&s, &board, &curve, &facts);
        cst_server::metrics::observe_snapshot(&snap);
        state.publish(snap);
        tokio::select! {
            _ = tokio::time::sleep(PUBLISH_EVERY) => {}
            _ = stopped(&mut stop) => return,
        }
        // Agent health changes without engine events (a stale feed is exactly that): republish anyway.
        tokio::select! {
            r = status.changed() => if r.is_err() { return },
            _ = tokio::time::sleep(HEALTH_EVERY) => {}
            _ = stopped(&mut stop) => return,
        }
    }
}

/// Forwards API controls to the engine.
pub async fn bridge(mut requests: mpsc::Receiver<ControlRequest>, engine: mpsc::Sender<OperatorControl>) {
    while let Some(r) = requests.recv().await {
        let action = match r.command {
            ControlCommand::Pause => OperatorAction::Pause,
            ControlCommand::Resume => OperatorAction::Resume,
            ControlCommand::ReduceOnly => OperatorAction::Kill(CoreKill::ReduceOnly),
            ControlCommand::Flatten => OperatorAction::Kill(CoreKill::Flatten),
            ControlCommand::Halt => OperatorAction::Kill(CoreKill::Halt),
        };
        let control = OperatorControl { action, command: r.command.to_string(), reason: r.reason };
        if engine.send(control).await.is_err() {
            return;
        }
    }
}

/// The server's parts that outlive restarts of the API agent.
#[derive(Clone)]
pub struct ApiAgent {
    /// Bound listener (cloned for every start).
    pub listener: std::sync::Arc<std::net::TcpListener>,
    /// Router parts.
    pub parts: cst_server::ServerParts,
    /// Health board.
    pub board: HealthBoard,
    /// Shutdown signal.
    pub stop: Shutdown,
}

impl ApiAgent {
    /// Serves until shutdown.
    pub async fn run(self) -> anyhow::Result<()> {
        let std_listener = self.listener.try_clone()?;
        std_listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(std_listener)?;
        self.board.set("api", HealthState::Healthy, format!("http://{}", listener.local_addr()?));
        let mut stop = self.stop.clone();
        let shutdown = async move { stopped(&mut stop).await };
        cst_server::serve(listener, cst_server::router(self.parts), shutdown).await?;
        Ok(())
    }
}

//! The engine agent: reads the feed, steps the [`Trader`], applies operator controls, sends one
//! journal batch per processed chunk to the persistence agent and publishes its status. On every
//! (re)start it rebuilds its state by replaying the feed from the start, journaling only what
//! lies beyond the persisted checkpoint, and re-applying journaled controls where they happened.

use super::feed::Feed;
use super::health::{HealthBoard, HealthState};
use super::supervisor::{Shutdown, stopped};
use super::trader::{OperatorAction, TradeCounts, Trader, id_text, level_text};
use cst_core::backtest::BacktestSpec;
use cst_core::engine::{WorkingOrder, WorkingState};
use cst_core::order::OrderKind;
use cst_core::signal::SignalRecord;
use cst_core::sim_venue::VenuePair;
use cst_store::journal::{ControlRecord, JournalBatch, PositionRecord};
use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

/// Bars stepped between journal batches and status updates.
const CHUNK_BARS: usize = 512;

/// An operator command for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorControl {
    /// What it does.
    pub action: OperatorAction,
    /// Command name as journaled (`pause`, `resume`, `halt`, `flatten`, `reduce-only`).
    pub command: String,
    /// Operator's reason.
    pub reason: String,
}

/// What the engine agent publishes after every chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EngineStatus {
    /// Market events processed.
    pub events: u64,
    /// Exchange time of the last one (ns).
    pub last_event_ns: i64,
    /// Exact equity (quote).
    pub equity: Decimal,
    /// Quote cash.
    pub cash: Decimal,
    /// Positions by pair.
    pub positions: Vec<PositionRecord>,
    /// Last close per pair.
    pub marks: Vec<(String, Decimal)>,
    /// Kill-switch level.
    pub kill_level: String,
    /// Counters.
    pub counts: TradeCounts,
    /// True when the feed has ended and every event was processed.
    pub replay_done: bool,
    /// Loss since the start of the UTC day (quote, positive = loss).
    pub daily_loss: Decimal,
    /// Drawdown from the equity peak (fraction).
    pub drawdown: f64,
    /// Latest fills (bounded).
    pub recent_fills: Vec<cst_core::event::Fill>,
    /// Refusals by risk rule.
    pub refusals: Vec<(String, u64)>,
    /// Latest kill-switch move: (from, to, trigger, reason, at ns).
    pub last_transition: Option<(String, String, String, String, i64)>,
    /// New entries paused by the operator.
    pub paused: bool,
    /// Orders sent or scheduled and not done.
    pub open_orders: Vec<OpenOrder>,
    /// The newest strategy decisions with their outcome (pair ids index `positions`).
    pub signals: Vec<SignalRecord>,
    /// Strategy decisions since start.
    pub signals_total: u64,
    /// Those decisions by outcome.
    pub signal_outcomes: cst_core::signal::OutcomeCounts,
    /// Strategy name per pair (same order as `positions`).
    pub strategies: Vec<String>,
    /// Model version per pair's strategy (`None` for rules; same order as `positions`).
    pub strategy_versions: Vec<Option<String>>,
    /// The risk guard's configured limits.
    pub limits: cst_core::risk::RiskLimits,
    /// Equity at the start of the UTC day (base of the daily loss limit).
    pub day_start_equity: Decimal,
}

/// An order the engine has working, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenOrder {
    /// Client order id (16 hex digits).
    pub client_order_id: String,
    /// Pair name.
    pub pair: String,
    /// Buy or sell.
    pub side: cst_core::trade::Side,
    /// `market`, `limit` or `ioc`.
    pub kind: String,
    /// Ordered quantity.
    pub qty: Decimal,
    /// Limit price (none for market orders).
    pub price: Option<Decimal>,
    /// Filled so far.
    pub filled: Decimal,
    /// `scheduled`, `sent` or `accepted`.
    pub status: String,
    /// When it was decided (ns).
    pub decided_ns: i64,
}

fn open_order(o: &WorkingOrder, names: &[String]) -> OpenOrder {
    let i = &o.intent;
    let kind = match i.kind {
        OrderKind::Market => "market",
        OrderKind::Limit { .. } => "limit",
        OrderKind::Ioc { .. } => "ioc",
        OrderKind::StopMarket { .. } => "stop-market",
    };
    let price = i.kind.limit_price().map(|p| p.value());
    let status = match o.state {
        WorkingState::Scheduled => "scheduled",
        WorkingState::Sent => "sent",
        WorkingState::Accepted => "accepted",
    };
    OpenOrder {
        client_order_id: id_text(i.id.0),
        pair: names.get(i.pair.index()).cloned().unwrap_or_default(),
        side: i.side,
        kind: kind.to_string(),
        qty: i.qty.value(),
        price,
        filled: o.filled,
        status: status.to_string(),
        decided_ns: i.decided_ns,
    }
}

/// Fills kept in the status for the API.
const RECENT_FILLS: usize = 200;

/// Everything the engine agent needs; cloned for every (re)start.
#[derive(Clone)]
pub struct EngineAgent {
    /// Backtest-equivalent settings.
    pub spec: BacktestSpec,
    /// Strategies the spec cannot describe (`ml-ensemble`); `None`: built from `spec`.
    pub strategies: Option<super::trader::StrategyFactory>,
    /// Pairs with their instruments and price scales.
    pub pairs: Vec<VenuePair>,
    /// The feed.
    pub feed: Feed,
    /// Journal batches to the persistence agent.
    pub journal: mpsc::Sender<JournalBatch>,
    /// Events the persistence agent has committed.
    pub persisted: Arc<AtomicI64>,
    /// Controls applied so far (from the journal at start, then live), in order.
    pub applied: Arc<Mutex<Vec<ControlRecord>>>,
    /// Live operator controls.
    pub controls: Arc<tokio::sync::Mutex<mpsc::Receiver<OperatorControl>>>,
    /// Status for the API and the console.
    pub status: watch::Sender<EngineStatus>,
    /// Health board.
    pub board: HealthBoard,
    /// Shutdown signal.
    pub stop: Shutdown,
    /// The live gateway link (`None`: paper trading on the simulated venue).
    pub live: Option<super::venue::LiveLink>,
}

impl EngineAgent {
    /// Runs until shutdown (the feed ending does not stop it: controls still apply).
    pub async fn run(self) -> anyhow::Result<()> {
        let journal_from = usize::try_from(self.persisted.load(Ordering::SeqCst)).unwrap_or(0);
        let strategies = match &self.strategies {
            Some(build) => Some(build()?),
            None => None,
        };
        let mut trader = match (&self.live, strategies) {
            (Some(link), strategies) => {
                Trader::live(&self.spec, self.pairs.clone(), journal_from, strategies, link.clone())?
            }
            (None, Some(strategies)) => {
                Trader::with_strategies(&self.spec, self.pairs.clone(), journal_from, strategies)?
            }
            (None, None) => Trader::new(&self.spec, self.pairs.clone(), journal_from)?,
        };
        let venue_wake = trader.venue_wake();
        let replayed: Vec<ControlRecord> = self.applied.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let detail = if journal_from == 0 {
            "running".to_string()
        } else {
            format!("rebuilding {journal_from} journaled events")
        };
        self.board.set("engine", HealthState::Healthy, detail);
        let mut stop = self.stop.clone();
        let mut controls = self.controls.lock().await;
        let mut chunk = Vec::with_capacity(CHUNK_BARS);
        loop {
            chunk.clear();
            self.feed.read(trader.index(), CHUNK_BARS, &mut chunk);
            for bar in &chunk {
                self.replay_controls(&mut trader, &replayed);
                trader.step(bar);
            }
            if !chunk.is_empty() {
                self.replay_controls(&mut trader, &replayed);
                self.flush(&mut trader).await?;
                if trader.index() == journal_from && journal_from > 0 {
                    self.board.set(
                        "engine",
                        HealthState::Healthy,
                        format!("running (rebuilt {journal_from} journaled events)"),
                    );
                }
                continue;
            }
            if self.feed.is_closed() && !self.status.borrow().replay_done {
                // The feed may close after the last chunk was flushed: say the replay is done.
                self.flush(&mut trader).await?;
            }
            let last_control = replayed.iter().map(|c| c.at_event as usize).max().unwrap_or(0);
            if self.feed.is_closed() && trader.index() < last_control {
                anyhow::bail!("journaled controls lie beyond the feed");
            }
            tokio::select! {
                _ = self.feed.wait_beyond(trader.index()), if !self.feed.is_closed() => {}
                c = controls.recv() => match c {
                    Some(c) => self.apply_live(&mut trader, c).await?,
                    None => return Ok(()),
                },
                _ = venue_reported(venue_wake.as_deref()) => {
                    trader.pump_venue();
                    self.flush(&mut trader).await?;
                }
                _ = stopped(&mut stop) => return Ok(()),
            }
        }
    }

    /// Journaled controls due before the next event (a rebuild re-applies them in place).
    fn replay_controls(&self, trader: &mut Trader, replayed: &[ControlRecord]) {
        let at = trader.index();
        for c in replayed.iter().filter(|c| c.at_event as usize == at) {
            if let Some(action) = OperatorAction::from_command(&c.command) {
                trader.apply_control(action, &c.command, &c.reason);
            }
        }
    }

    async fn apply_live(&self, trader: &mut Trader, c: OperatorControl) -> anyhow::Result<()> {
        trader.apply_control(c.action, &c.command, &c.reason);
        let at_event = trader.index() as i64;
        {
            let mut applied = self.applied.lock().unwrap_or_else(|p| p.into_inner());
            let seq = applied.len() as i64 + 1;
            applied.push(ControlRecord { seq, at_event, command: c.command.clone(), reason: c.reason.clone() });
        }
        self.flush(trader).await
    }

    async fn flush(&self, trader: &mut Trader) -> anyhow::Result<()> {
        if let Some(batch) = trader.take_batch() {
            self.journal.send(batch).await.map_err(|_| anyhow::anyhow!("persistence agent is gone"))?;
        }
        self.status.send_replace(status_of(trader, &self.feed));
        Ok(())
    }
}

/// Resolves when the live gateway has reported events; never for the paper venue.
async fn venue_reported(wake: Option<&tokio::sync::Notify>) {
    match wake {
        Some(w) => w.notified().await,
        None => std::future::pending().await,
    }
}

fn status_of(trader: &Trader, feed: &Feed) -> EngineStatus {
    let engine = trader.engine();
    let ledger = engine.ledger();
    let positions = trader
        .names()
        .iter()
        .zip(ledger.positions())
        .map(|(name, p)| PositionRecord {
            pair: name.clone(),
            qty: p.qty,
            cost_basis: p.cost_basis,
            realized_pnl: p.realized_pnl,
            fees: p.fees,
            time_ns: trader.last_event_ns(),
        })
        .collect();
    let marks =
        trader.names().iter().zip(engine.marks()).filter_map(|(n, m)| m.map(|m| (n.clone(), m.value()))).collect();
    let fills = ledger.journal();
    let kill = engine.guard().kill_switch();
    let risk = trader.risk_record();
    EngineStatus {
        daily_loss: risk.daily_loss,
        drawdown: engine.guard().drawdown(),
        recent_fills: fills[fills.len().saturating_sub(RECENT_FILLS)..].to_vec(),
        refusals: engine
            .guard()
            .refusal_counts()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| {
                (serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(), n)
            })
            .collect(),
        last_transition: kill
            .history()
            .last()
            .map(|t| (level_text(t.from), level_text(t.to), t.trigger.clone(), t.reason.clone(), t.at_ns)),
        events: trader.index() as u64,
        last_event_ns: trader.last_event_ns(),
        equity: trader.equity(),
        cash: ledger.balance(engine.quote()),
        positions,
        marks,
        kill_level: level_text(engine.guard().kill_switch().level()),
        counts: trader.counts().clone(),
        replay_done: feed.is_closed() && trader.index() == feed.published(),
        paused: engine.is_paused(),
        open_orders: engine.working_orders().iter().map(|o| open_order(o, trader.names())).collect(),
        signals: engine.signals().iter().cloned().collect(),
        signals_total: engine.signals().total(),
        signal_outcomes: engine.signals().outcome_counts(),
        strategies: engine.strategy_names(),
        strategy_versions: engine.strategy_versions(),
        limits: engine.guard().limits().clone(),
        day_start_equity: trader.day_start_equity(),
    }
}

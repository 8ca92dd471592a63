//! The engine: one deterministic code path for backtest, paper and live. `on_event` takes an
//! event and returns actions; it never reads a clock and never does I/O.
//!
//! Bar → features (strategy) → signal gate → sizing → risk guard → execution policy → actions.
//! Fills come back as events and are booked in the ledger. The per-bar path works in f64 and
//! integer ticks and allocates nothing; decimals appear only where money moves.

mod decide;

use crate::backtest::attribution::Attribution;
use crate::depth::Depth;
use crate::event::{ClientOrderId, Control, Event, Fill, KillLevel, MarketEvent, OrderUpdate, PriceScale};
use crate::execution::{ExecutionConfig, ExecutionPolicy, ExecutionRefusal};
use crate::instrument::Instrument;
use crate::kill_switch::KillTransition;
use crate::ledger::{Ledger, LedgerError};
use crate::num::{Price, Qty};
use crate::order::OrderIntent;
use crate::pair::Pair;
use crate::risk::{ApprovedOrder, Refusal, RiskGuard, RiskLimits};
use crate::signal::{GateConfig, SignalGate, SignalLog};
use crate::sizing::SizingConfig;
use crate::strategy::{BarView, Strategy};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the engine asks the outside world to do.
#[derive(Debug)]
pub enum Action {
    /// Send this approved order to the venue.
    Place(ApprovedOrder),
    /// Cancel a working order.
    Cancel(ClientOrderId),
    /// The risk guard refused an order (a value, counted).
    RiskRefused(Refusal),
    /// The execution policy refused an approved order.
    ExecutionRefused(ExecutionRefusal),
    /// The kill switch moved.
    Kill(KillTransition),
}

/// Every setting of one engine (the non-strategy sections of a strategy file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Sizing.
    pub sizing: SizingConfig,
    /// Signal gate.
    pub gate: GateConfig,
    /// Risk limits.
    pub risk: RiskLimits,
    /// Execution policy.
    pub execution: ExecutionConfig,
}

/// A pair the engine trades.
#[derive(Debug, Clone, PartialEq)]
pub struct EnginePair {
    /// Canonical pair.
    pub pair: Pair,
    /// Tick scale of its bars.
    pub scale: PriceScale,
    /// Lot step (base units).
    pub lot_step: Decimal,
    /// Smallest order Kraken accepts (base units).
    pub ordermin: Decimal,
}

impl EnginePair {
    /// From Kraken's metadata and the bars' price scale.
    pub fn from_instrument(inst: &Instrument, scale: PriceScale) -> Self {
        Self { pair: inst.pair.clone(), scale, lot_step: inst.lot_step(), ordermin: inst.ordermin.value() }
    }
}

/// An order sent (or scheduled) and not yet done.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    id: ClientOrderId,
    pair: crate::event::PairId,
    intent: OrderIntent,
    accepted: bool,
    filled: Decimal,
}

/// Where a working order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkingState {
    /// A TWAP slice waiting for its release time.
    Scheduled,
    /// Sent, not yet acknowledged by the venue.
    Sent,
    /// Acknowledged and working.
    Accepted,
}

/// An order the engine sent or scheduled that is not done yet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorkingOrder {
    /// The order as decided.
    pub intent: OrderIntent,
    /// Where it stands.
    pub state: WorkingState,
    /// Quantity filled so far (base units).
    pub filled: Decimal,
}

/// Counters for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EngineCounters {
    /// Bars seen.
    pub bars: u64,
    /// Targets the strategies emitted.
    pub signals: u64,
    /// Orders sent to the venue.
    pub orders: u64,
    /// Fills booked.
    pub fills: u64,
    /// Venue rejections.
    pub venue_rejections: u64,
    /// Decisions below the pair's minimum order (no order sent).
    pub below_minimum: u64,
    /// Fills the ledger could not book (must stay 0).
    pub ledger_errors: u64,
}

/// The engine.
pub struct Engine {
    pairs: Vec<EnginePair>,
    strategies: Vec<Strategy>,
    gate: SignalGate,
    sizing: SizingConfig,
    guard: RiskGuard,
    policy: ExecutionPolicy,
    ledger: Ledger,
    quote: String,
    last_close: Vec<i64>,
    close_f64: Vec<f64>,
    qty_f64: Vec<f64>,
    cash_f64: f64,
    equity_f64: f64,
    now_ns: i64,
    books: Vec<Option<Depth>>,
    in_flight: Vec<InFlight>,
    later: Vec<(i64, ApprovedOrder)>,
    unit_fraction: Vec<f64>,
    unit_notional: Decimal,
    attribution: Attribution,
    counters: EngineCounters,
    seq: u32,
    last_error: Option<LedgerError>,
    paused: bool,
    signals: SignalLog,
}

/// Why an engine could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Pairs must share one quote currency (equity is valued in it).
    #[error("all pairs must share one quote currency; found {0} and {1}")]
    MixedQuotes(String, String),
    /// Strategy count differs from pair count.
    #[error("{strategies} strategies for {pairs} pairs")]
    StrategyCount {
        /// Strategies given.
        strategies: usize,
        /// Pairs given.
        pairs: usize,
    },
    /// No pairs.
    #[error("no pairs to trade")]
    NoPairs,
    /// A strategy's indicator refused its parameters.
    #[error("strategy indicator: {0}")]
    Indicator(String),
}

impl Engine {
    /// An engine trading `pairs` (one strategy each) from `cash` in the common quote currency.
    pub fn new(
        config: &EngineConfig,
        pairs: Vec<EnginePair>,
        strategies: Vec<Strategy>,
        cash: Decimal,
        interval_secs: i64,
    ) -> Result<Self, EngineError> {
        let quote = pairs.first().ok_or(EngineError::NoPairs)?.pair.quote().to_string();
        if let Some(p) = pairs.iter().find(|p| p.pair.quote() != quote) {
            return Err(EngineError::MixedQuotes(quote, p.pair.quote().to_string()));
        }
        if strategies.len() != pairs.len() {
            return Err(EngineError::StrategyCount { strategies: strategies.len(), pairs: pairs.len() });
        }
        let n = pairs.len();
        let ledger =
            Ledger::new(pairs.iter().map(|p| p.pair.clone()).collect(), BTreeMap::from([(quote.clone(), cash)]));
        let fraction = crate::num::decimal_from_f64(config.sizing.fraction).unwrap_or(Decimal::ONE);
        Ok(Self {
            strategies,
            gate: SignalGate::new(config.gate),
            sizing: config.sizing,
            guard: RiskGuard::new(config.risk.clone(), n),
            policy: ExecutionPolicy::new(config.execution.clone(), n, interval_secs),
            ledger,
            quote,
            last_close: vec![0; n],
            close_f64: vec![0.0; n],
            qty_f64: vec![0.0; n],
            cash_f64: cash.to_f64().unwrap_or(0.0),
            equity_f64: cash.to_f64().unwrap_or(0.0),
            now_ns: i64::MIN,
            books: vec![None; n],
            in_flight: Vec::new(),
            later: Vec::new(),
            unit_fraction: vec![0.0; n],
            unit_notional: cash * fraction / Decimal::from(n.max(1) as u64),
            attribution: Attribution::new(n),
            counters: EngineCounters::default(),
            seq: 0,
            last_error: None,
            paused: false,
            signals: SignalLog::default(),
            pairs,
        })
    }

    /// Handles one event and returns the actions it causes.
    pub fn on_event(&mut self, event: &Event) -> Vec<Action> {
        let mut out = Vec::new();
        self.on_event_into(event, &mut out);
        out
    }

    /// Like [`Engine::on_event`], appending to a reusable buffer (the backtest hot path).
    #[inline]
    pub fn on_event_into(&mut self, event: &Event, out: &mut Vec<Action>) {
        match event {
            Event::Market(MarketEvent::Bar(bar)) => self.on_bar(bar, out),
            Event::Market(MarketEvent::Depth(d)) => self.on_depth(d),
            Event::Market(MarketEvent::Print(_)) => {}
            Event::Fill(f) => self.on_fill(f, out),
            Event::Order(u) => self.on_order(u),
            Event::Timer(t) => {
                self.now_ns = self.now_ns.max(t.now_ns);
                self.release(out);
            }
            Event::Control(c) => self.on_control(c, out),
        }
    }

    #[inline]
    fn on_bar(&mut self, bar: &crate::event::Bar, out: &mut Vec<Action>) {
        let i = bar.pair.index();
        let Some(p) = self.pairs.get(i) else { return };
        let scale = p.scale;
        let close = scale.to_f64(bar.close);
        let now = bar.stamp.exchange_ns;
        self.now_ns = now;
        self.counters.bars += 1;
        self.last_close[i] = bar.close;
        self.close_f64[i] = close;
        self.guard.on_bar(bar.pair, now, close);
        self.policy.on_bar(bar.pair, now, close * bar.volume);
        let mut equity = self.cash_f64;
        for (q, c) in self.qty_f64.iter().zip(&self.close_f64) {
            equity += q * c;
        }
        self.equity_f64 = equity;
        if let Some(t) = self.guard.on_equity(now, equity) {
            self.on_kill(t, out);
        }
        if !self.later.is_empty() {
            self.release(out);
        }
        let view = BarView {
            bar: *bar,
            open: scale.to_f64(bar.open),
            high: scale.to_f64(bar.high),
            low: scale.to_f64(bar.low),
            close,
        };
        if let Some(target) = self.strategies[i].on_bar(&view) {
            self.counters.signals += 1;
            self.decide(bar.pair, target, out);
        }
    }

    fn on_depth(&mut self, d: &Depth) {
        if let Some(slot) = self.books.get_mut(d.pair.index()) {
            *slot = Some(d.clone());
        }
        self.now_ns = self.now_ns.max(d.stamp.exchange_ns);
    }

    fn on_fill(&mut self, f: &Fill, out: &mut Vec<Action>) {
        if let Err(e) = self.ledger.apply(f) {
            self.counters.ledger_errors += 1;
            self.last_error = Some(e);
            return;
        }
        self.counters.fills += 1;
        let i = f.pair.index();
        self.qty_f64[i] = self.ledger.position(f.pair).qty.to_f64().unwrap_or(0.0);
        self.cash_f64 = self.ledger.balance(&self.quote).to_f64().unwrap_or(0.0);
        let decision = match self.in_flight.iter_mut().find(|o| o.id == f.id) {
            Some(o) => {
                o.filled += f.qty.value();
                o.intent.decision_price
            }
            None => f.reference_price,
        };
        self.attribution.on_fill(f, decision);
        if self.guard.kill_switch().level() == KillLevel::Flatten {
            self.complete_flatten_if_flat("all positions closed", f.stamp.exchange_ns, out);
        }
    }

    /// A flatten is complete once nothing is held: the switch then moves on to Halt.
    fn complete_flatten_if_flat(&mut self, reason: &str, at_ns: i64, out: &mut Vec<Action>) {
        if self.ledger.positions().iter().all(|p| p.qty.is_zero())
            && let Some(t) = self.guard.escalate(KillLevel::Halt, "flatten-complete", reason.into(), at_ns)
        {
            out.push(Action::Kill(t));
        }
    }

    fn on_order(&mut self, u: &OrderUpdate) {
        match u {
            OrderUpdate::Accepted { id, .. } => {
                if let Some(o) = self.in_flight.iter_mut().find(|o| o.id == *id) {
                    o.accepted = true;
                }
            }
            OrderUpdate::Rejected { id, .. } => {
                self.counters.venue_rejections += 1;
                self.in_flight.retain(|o| o.id != *id);
            }
            OrderUpdate::Done { id, .. } => self.in_flight.retain(|o| o.id != *id),
        }
    }

    fn on_control(&mut self, c: &Control, out: &mut Vec<Action>) {
        match c {
            Control::Kill { level, reason, at_ns } => {
                if let Some(t) = self.guard.escalate(*level, "operator", reason.clone(), *at_ns) {
                    self.on_kill(t, out);
                }
            }
            Control::ResetKill { reason, at_ns } => {
                if let Some(t) = self.guard.reset_kill(reason.clone(), *at_ns) {
                    out.push(Action::Kill(t));
                }
            }
            Control::Pause { .. } => {
                self.paused = true;
                self.withdraw_entries(out);
            }
            Control::Resume { .. } => self.paused = false,
            Control::DataQuality { pair, tradable, reason } => self.guard.set_quality(*pair, *tradable, reason),
        }
    }

    fn on_kill(&mut self, t: KillTransition, out: &mut Vec<Action>) {
        let flatten = t.to == KillLevel::Flatten;
        let at_ns = t.at_ns;
        out.push(Action::Kill(t));
        if flatten {
            self.flatten(out);
            // Nothing held: no closing fill will ever arrive to complete the flatten, so it is
            // complete now (otherwise the switch would sit at Flatten forever).
            self.complete_flatten_if_flat("nothing held", at_ns, out);
        }
    }

    /// Releases TWAP slices whose time has come.
    fn release(&mut self, out: &mut Vec<Action>) {
        let now = self.now_ns;
        let mut k = 0;
        while k < self.later.len() {
            if self.later[k].0 <= now {
                let (_, order) = self.later.remove(k);
                self.counters.orders += 1;
                out.push(Action::Place(order));
            } else {
                k += 1;
            }
        }
    }

    /// True while the operator has paused new entries.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// The newest strategy decisions and what became of them.
    pub fn signals(&self) -> &SignalLog {
        &self.signals
    }

    /// Orders sent or scheduled and not done yet, in the order they were decided.
    pub fn working_orders(&self) -> Vec<WorkingOrder> {
        self.in_flight
            .iter()
            .map(|o| {
                let state = if self.later.iter().any(|(_, l)| l.id() == o.id) {
                    WorkingState::Scheduled
                } else if o.accepted {
                    WorkingState::Accepted
                } else {
                    WorkingState::Sent
                };
                WorkingOrder { intent: o.intent, state, filled: o.filled }
            })
            .collect()
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The risk guard.
    pub fn guard(&self) -> &RiskGuard {
        &self.guard
    }

    /// The signal gate.
    pub fn gate(&self) -> &SignalGate {
        &self.gate
    }

    /// The execution policy.
    pub fn policy(&self) -> &ExecutionPolicy {
        &self.policy
    }

    /// Return attribution accumulated so far.
    pub fn attribution(&self) -> &Attribution {
        &self.attribution
    }

    /// Counters.
    pub fn counters(&self) -> &EngineCounters {
        &self.counters
    }

    /// Equity (f64 view for statistics) at the last bar's closes.
    pub fn equity_f64(&self) -> f64 {
        self.equity_f64
    }

    /// True when any position is open.
    pub fn is_exposed(&self) -> bool {
        self.qty_f64.iter().any(|q| *q > 0.0)
    }

    /// The pair table.
    pub fn pairs(&self) -> &[EnginePair] {
        &self.pairs
    }

    /// The quote currency equity is valued in.
    pub fn quote(&self) -> &str {
        &self.quote
    }

    /// Last close of each pair as an exact price.
    pub fn marks(&self) -> Vec<Option<Price>> {
        self.pairs.iter().zip(&self.last_close).map(|(p, &t)| p.scale.to_price(t)).collect()
    }

    /// The last ledger error, if any fill was refused.
    pub fn last_ledger_error(&self) -> Option<&LedgerError> {
        self.last_error.as_ref()
    }

    /// The strategy names.
    pub fn strategy_names(&self) -> Vec<String> {
        self.strategies.iter().map(Strategy::name).collect()
    }

    /// The model version behind each pair's strategy (`None` for rules).
    pub fn strategy_versions(&self) -> Vec<Option<String>> {
        self.strategies.iter().map(Strategy::version).collect()
    }

    /// Unit notional used for the alpha (signal) leg of attribution.
    pub fn unit_notional(&self) -> Decimal {
        self.unit_notional
    }

    fn lot_floor(&self, i: usize, qty: Decimal) -> Qty {
        let lot = self.pairs[i].lot_step;
        Qty::new((qty / lot).floor() * lot).unwrap_or(Qty::ZERO)
    }
}

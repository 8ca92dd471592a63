//! Backtests: the engine and the simulated venue driven by recorded bars in time order, on one
//! thread, with the bars' timestamps as the only clock. The result renders as `report.json`,
//! `trades.csv`, `equity.csv` and an offline `report.html`.

pub mod attribution;
pub mod bars;
mod html;
pub mod metrics;
mod report;
pub mod trades;

pub use report::{AttributionReport, Report};

use crate::engine::{Action, Engine, EngineConfig, EngineError, EnginePair};
use crate::event::{Bar, Event, MarketEvent};
use crate::interval::Interval;
use crate::sim_venue::{SimVenue, VenueConfig, VenuePair};
use crate::strategy::{Strategy, StrategySpec};
use metrics::EquityStats;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use trades::TradeBook;

/// Pair metadata (precision, minimums) from `meta` with the fee schedule of `fees`: used when
/// the AssetPairs capture that carries today's schedule lacks the pair being backtested.
pub fn with_fee_schedule(
    meta: &crate::instrument::Instrument,
    fees: &crate::instrument::Instrument,
) -> crate::instrument::Instrument {
    let mut inst = meta.clone();
    inst.fees = fees.fees.clone();
    inst.fees_maker = fees.fees_maker.clone();
    inst
}

/// Everything that defines one backtest besides the data.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestSpec {
    /// The strategy (one instance per pair).
    pub strategy: StrategySpec,
    /// Engine settings.
    pub engine: EngineConfig,
    /// Venue settings.
    pub venue: VenueConfig,
    /// Starting cash in the quote currency.
    pub cash: Decimal,
    /// Bar interval.
    pub interval: Interval,
    /// Keep the per-bar equity curve (for equity.csv and the charts); off in sweeps.
    pub record_curve: bool,
}

/// One point of the equity curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// Bar close time (ns).
    pub time_ns: i64,
    /// Equity (f64 view).
    pub equity: f64,
}

/// A running backtest.
pub struct Backtest {
    spec: BacktestSpec,
    engine: Engine,
    venue: SimVenue,
    stats: EquityStats,
    trades: TradeBook,
    curve: Vec<CurvePoint>,
    events: Vec<Event>,
    actions: Vec<Action>,
    first_ns: Option<i64>,
    last_ns: i64,
    traded_notional: Decimal,
}

impl Backtest {
    /// Sets up engine and venue for `pairs` (indexed by pair id; bars must use those ids).
    pub fn new(spec: BacktestSpec, pairs: Vec<VenuePair>) -> Result<Self, EngineError> {
        let strategies = pairs
            .iter()
            .map(|_| Strategy::from_spec(&spec.strategy))
            .collect::<Result<_, _>>()
            .map_err(|e| EngineError::Indicator(e.to_string()))?;
        Self::with_strategies(spec, pairs, strategies)
    }

    /// Like [`Backtest::new`] but with strategies built by the caller (one per pair, in pair
    /// order), for strategies a spec cannot describe, such as a trained model from `cst-ml`.
    /// `spec.strategy` is then not used.
    pub fn with_strategies(
        spec: BacktestSpec,
        pairs: Vec<VenuePair>,
        strategies: Vec<Strategy>,
    ) -> Result<Self, EngineError> {
        let engine_pairs: Vec<EnginePair> =
            pairs.iter().map(|p| EnginePair::from_instrument(&p.instrument, p.scale)).collect();
        let engine = Engine::new(&spec.engine, engine_pairs, strategies, spec.cash, spec.interval.secs())?;
        let quote = engine.quote().to_string();
        let names = pairs.iter().map(|p| p.instrument.pair.to_string()).collect();
        let venue = SimVenue::new(spec.venue.clone(), pairs, BTreeMap::from([(quote, spec.cash)]));
        Ok(Self {
            spec,
            engine,
            venue,
            stats: EquityStats::default(),
            trades: TradeBook::new(names),
            curve: Vec::new(),
            events: Vec::new(),
            actions: Vec::new(),
            first_ns: None,
            last_ns: 0,
            traded_notional: Decimal::ZERO,
        })
    }

    /// Runs every bar (in time order across pairs), then [`Backtest::finish`].
    pub fn run(&mut self, bars: &[Bar]) {
        self.run_part(bars);
        self.finish();
    }

    /// Runs a chunk of bars without finishing (for progress reporting); call
    /// [`Backtest::finish`] after the last chunk.
    pub fn run_part(&mut self, bars: &[Bar]) {
        for bar in bars {
            self.step(bar);
        }
    }

    /// One bar: the venue fills what was decided earlier, then the engine sees the bar.
    #[inline]
    pub fn step(&mut self, bar: &Bar) {
        if self.first_ns.is_some() && bar.stamp.exchange_ns != self.last_ns {
            self.record_point();
        }
        self.venue.on_bar(bar, &mut self.events);
        if !self.events.is_empty() {
            self.deliver_venue_events(bar.stamp.exchange_ns);
        }
        self.engine.on_event_into(&Event::Market(MarketEvent::Bar(*bar)), &mut self.actions);
        if !self.actions.is_empty() {
            self.act(bar.stamp.exchange_ns);
        }
        let now = bar.stamp.exchange_ns;
        self.first_ns.get_or_insert(now);
        self.last_ns = now;
    }

    /// Records equity once per bar time (after every pair's bar of that time was seen).
    #[inline]
    fn record_point(&mut self) {
        let (now, equity) = (self.last_ns, self.engine.equity_f64());
        self.stats.on_bar(now, equity, self.engine.is_exposed());
        if self.spec.record_curve {
            self.curve.push(CurvePoint { time_ns: now, equity });
        }
    }

    /// Closes the run: records the last bar time. Call once after the last bar.
    pub fn finish(&mut self) {
        if self.first_ns.is_some() && self.stats.last_time_ns() != Some(self.last_ns) {
            self.record_point();
        }
    }

    fn deliver_venue_events(&mut self, now_ns: i64) {
        let events = std::mem::take(&mut self.events);
        for e in &events {
            if let Event::Fill(f) = e {
                self.trades.on_fill(f);
                self.traded_notional += f.qty.value() * f.price.value();
            }
            self.engine.on_event_into(e, &mut self.actions);
        }
        self.events = events;
        self.events.clear();
        if !self.actions.is_empty() {
            self.act(now_ns);
        }
    }

    /// Carries out engine actions until none are left (fills can trigger kill-switch orders).
    fn act(&mut self, now_ns: i64) {
        while !self.actions.is_empty() {
            let actions = std::mem::take(&mut self.actions);
            for a in actions {
                match a {
                    Action::Place(order) => self.venue.submit(order, now_ns, &mut self.events),
                    Action::Cancel(id) => self.venue.cancel(id, now_ns, &mut self.events),
                    Action::RiskRefused(_) | Action::ExecutionRefused(_) | Action::Kill(_) => {}
                }
            }
            let events = std::mem::take(&mut self.events);
            for e in &events {
                self.engine.on_event_into(e, &mut self.actions);
            }
            self.events = events;
            self.events.clear();
        }
    }

    /// The engine (for inspection).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The venue (for inspection).
    pub fn venue(&self) -> &SimVenue {
        &self.venue
    }

    /// Closed round trips.
    pub fn trades(&self) -> &TradeBook {
        &self.trades
    }

    /// The recorded equity curve.
    pub fn curve(&self) -> &[CurvePoint] {
        &self.curve
    }

    /// Streaming statistics.
    pub fn stats(&self) -> &EquityStats {
        &self.stats
    }

    /// Builds the report from the state at the end of the run.
    pub fn report(&self) -> Report {
        report::build(self)
    }
}

//! The engine end to end on real data: model signals through the confidence gate, the
//! kill-switch flatten path, TWAP slicing, and the liquidity gate against the real book.

mod support;

use cst_core::backtest::bars::{BarSeries, to_bars};
use cst_core::candle::CandleRow;
use cst_core::depth::{Depth, Level};
use cst_core::engine::{Action, Engine, EngineConfig, EnginePair};
use cst_core::event::{Bar, Control, Event, KillLevel, MarketEvent, PairId, Stamp};
use cst_core::execution::ExecutionConfig;
use cst_core::instrument::Instrument;
use cst_core::interval::Interval;
use cst_core::num::{Price, Qty};
use cst_core::signal::GateConfig;
use cst_core::sim_venue::{SimVenue, VenueConfig, VenuePair};
use cst_core::strategy::{BarView, SignalModel, Strategy, StrategySpec, Target};
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::collections::{BTreeMap, VecDeque};

/// A small real model: long when the close is above the close a day ago, with the share of up
/// hours in that day as its (uncalibrated but honest) confidence.
struct DayMomentum {
    closes: VecDeque<f64>,
    long: bool,
}

impl SignalModel for DayMomentum {
    fn name(&self) -> &str {
        "day-momentum"
    }

    fn on_bar(&mut self, bar: &BarView) -> Option<Target> {
        self.closes.push_back(bar.close);
        if self.closes.len() <= 24 {
            return None;
        }
        self.closes.pop_front();
        let up = self.closes.iter().zip(self.closes.iter().skip(1)).filter(|(a, b)| b > a).count();
        let want = bar.close > self.closes[0];
        if want == self.long {
            return None;
        }
        self.long = want;
        let confidence = up as f64 / 23.0;
        Some(Target { fraction: if want { 1.0 } else { 0.0 }, confidence: Some(confidence), payoff: Some(1.5) })
    }
}

/// Engine + venue wired like the backtest runner, so tests can interject control events.
struct Rig {
    engine: Engine,
    venue: SimVenue,
    actions: Vec<Action>,
}

impl Rig {
    fn new(config: EngineConfig, strategy: Strategy, inst: Instrument, s: &BarSeries, interval_secs: i64) -> Self {
        let ep = EnginePair::from_instrument(&inst, s.scale);
        let engine = Engine::new(&config, vec![ep], vec![strategy], dec!(10000), interval_secs).expect("engine");
        let quote = inst.pair.quote().to_string();
        let pair = VenuePair { instrument: inst, scale: s.scale };
        let venue = SimVenue::new(VenueConfig::default(), vec![pair], BTreeMap::from([(quote, dec!(10000))]));
        Self { engine, venue, actions: Vec::new() }
    }

    fn feed(&mut self, e: &Event, now_ns: i64) {
        let mut out = Vec::new();
        self.engine.on_event_into(e, &mut out);
        self.act(out, now_ns);
    }

    fn act(&mut self, actions: Vec<Action>, now_ns: i64) {
        let mut events = Vec::new();
        for a in actions {
            match a {
                Action::Place(o) => self.venue.submit(o, now_ns, &mut events),
                Action::Cancel(id) => self.venue.cancel(id, now_ns, &mut events),
                other => self.actions.push(other),
            }
        }
        for e in events {
            self.feed(&e, now_ns);
        }
    }

    fn bar(&mut self, bar: &Bar) {
        let mut events = Vec::new();
        self.venue.on_bar(bar, &mut events);
        for e in events {
            self.feed(&e, bar.stamp.exchange_ns);
        }
        self.feed(&Event::Market(MarketEvent::Bar(*bar)), bar.stamp.exchange_ns);
    }
}

fn model() -> Strategy {
    Strategy::Model(Box::new(DayMomentum { closes: VecDeque::new(), long: false }))
}

#[test]
fn model_signals_pass_only_at_or_above_the_confidence_threshold() {
    let s = support::xbtusd_hourly();
    let bars = &s.bars[40_000..46_000];
    let strict = EngineConfig { gate: GateConfig { threshold: 0.80 }, ..EngineConfig::default() };
    let mut rig = Rig::new(strict, model(), support::xbtusd(), &s, 3600);
    bars.iter().for_each(|b| rig.bar(b));
    let g = rig.engine.gate();
    assert!(g.blocked > 0, "some day-momentum signals are below 0.80");
    assert_eq!(g.passed + g.blocked, rig.engine.counters().signals);
    assert!(rig.engine.counters().orders <= g.passed);
    assert_ne!(g.summary(), "gate: not applicable");

    let loose = EngineConfig { gate: GateConfig { threshold: 0.5 }, ..EngineConfig::default() };
    let mut rig2 = Rig::new(loose, model(), support::xbtusd(), &s, 3600);
    bars.iter().for_each(|b| rig2.bar(b));
    assert!(rig2.engine.gate().passed > g.passed);
    assert!(rig2.engine.counters().orders > rig.engine.counters().orders);
}

#[test]
fn kill_switch_flatten_closes_positions_then_halts() {
    let s = support::xbtusd_hourly();
    let sma = Strategy::from_spec(&StrategySpec::builtin("sma-cross").expect("sma")).expect("strategy");
    let mut rig = Rig::new(EngineConfig::default(), sma, support::xbtusd(), &s, 3600);
    let mut k = 45_000;
    while rig.engine.ledger().position(PairId(0)).qty.is_zero() {
        rig.bar(&s.bars[k]);
        k += 1;
    }
    let now = s.bars[k - 1].stamp.exchange_ns;
    let kill = Event::Control(Control::Kill { level: KillLevel::Flatten, reason: "operator drill".into(), at_ns: now });
    rig.feed(&kill, now);
    assert_eq!(rig.engine.guard().kill_switch().level(), KillLevel::Flatten);
    assert_eq!(rig.venue.working_count(), 1, "one reduce-only sell for the whole position");
    for b in &s.bars[k..k + 3] {
        rig.bar(b);
    }
    assert!(rig.engine.ledger().position(PairId(0)).qty.is_zero());
    let h = rig.engine.guard().kill_switch().history();
    let path: Vec<(KillLevel, &str)> = h.iter().map(|t| (t.to, t.trigger.as_str())).collect();
    assert_eq!(path, [(KillLevel::Flatten, "operator"), (KillLevel::Halt, "flatten-complete")]);
    assert_eq!(rig.venue.working_count(), 0);
}

#[test]
fn large_orders_are_sliced_into_twap_children_that_sum_to_the_parent() {
    let s = support::xbtusd_hourly();
    let execution = ExecutionConfig {
        twap_threshold_quote: 1000.0,
        twap_slices: 4,
        twap_interval_secs: 3600,
        ..ExecutionConfig::default()
    };
    let config = EngineConfig { execution, ..EngineConfig::default() };
    let sma = Strategy::from_spec(&StrategySpec::builtin("sma-cross").expect("sma")).expect("strategy");
    let ep = EnginePair::from_instrument(&support::xbtusd(), s.scale);
    let mut engine = Engine::new(&config, vec![ep], vec![sma], dec!(10000), 3600).expect("engine");
    let mut placed: Vec<(i64, Decimal)> = Vec::new();
    for b in &s.bars[45_000..45_200] {
        for a in engine.on_event(&Event::Market(MarketEvent::Bar(*b))) {
            if let Action::Place(o) = a {
                placed.push((b.stamp.exchange_ns, o.intent().qty.value()));
            }
        }
        if placed.len() >= 4 {
            break;
        }
    }
    assert_eq!(placed.len(), 4, "four slices released, one per hour");
    assert!(placed.windows(2).all(|w| w[1].0 > w[0].0));
    let total: Decimal = placed.iter().map(|p| p.1).sum();
    let expected = (Decimal::from(10000) * dec!(0.95)).min(total * dec!(2));
    assert!(total <= expected, "slices sum to the parent order sized from equity");
}

fn one_minute_xbtusdt() -> BarSeries {
    let v: serde_json::Value =
        serde_json::from_str(&cst_testdata::read_text("kraken/rest-capture-2025/spot/http_ohlc.json")).expect("json");
    let d = |x: &serde_json::Value| x.as_str().expect("str").parse::<Decimal>().expect("dec");
    let rows: Vec<CandleRow> = v["result"]["XBTUSDT"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| CandleRow {
            time: r[0].as_i64().expect("t"),
            open: d(&r[1]),
            high: d(&r[2]),
            low: d(&r[3]),
            close: d(&r[4]),
            volume: d(&r[6]),
            trades: r[7].as_i64().expect("n"),
        })
        .collect();
    to_bars(PairId(0), &rows, Interval::M1)
}

fn real_book() -> Depth {
    let v: serde_json::Value =
        serde_json::from_str(&cst_testdata::read_text("kraken/rest-capture-2025/spot/http_order_book.json"))
            .expect("json");
    let side = |k: &str| -> Vec<Level> {
        v["result"]["XBTUSDT"][k]
            .as_array()
            .expect("levels")
            .iter()
            .map(|l| Level {
                price: Price::parse(l[0].as_str().expect("p")).expect("p"),
                qty: Qty::parse(l[1].as_str().expect("q")).expect("q"),
            })
            .collect()
    };
    Depth { pair: PairId(0), stamp: Stamp::at(1_762_820_248_000_000_000), bids: side("bids"), asks: side("asks") }
}

#[test]
fn liquidity_gate_refuses_orders_when_the_real_book_is_too_thin() {
    let s = one_minute_xbtusdt();
    let execution =
        ExecutionConfig { min_depth_quote: 5_000_000.0, depth_band_bps: 10.0, ..ExecutionConfig::default() };
    let config = EngineConfig { execution, ..EngineConfig::default() };
    let sma = Strategy::from_spec(&StrategySpec::SmaCross { fast: 2, slow: 3 }).expect("strategy");
    let mut rig = Rig::new(config, sma, support::xbtusdt(), &s, 60);
    rig.feed(&Event::Market(MarketEvent::Depth(real_book())), 1_762_820_248_000_000_000);
    s.bars.iter().for_each(|b| rig.bar(b));
    let refusals: Vec<String> = rig
        .actions
        .iter()
        .filter_map(|a| if let Action::ExecutionRefused(r) = a { Some(r.reason.clone()) } else { None })
        .collect();
    assert!(!refusals.is_empty());
    assert!(refusals.iter().all(|r| r.contains("within 10 bps below minimum 5000000")), "{refusals:?}");
    assert_eq!(rig.engine.counters().fills, 0);
}

//! Operator pause and resume on real XBT/USD hours: a paused engine opens nothing (its entry
//! signals are recorded as refused with reason "paused"), still books fills, exits and obeys the
//! kill switch; after resume the next entry signal trades again. Same inputs, same ledger.

mod support;

use cst_core::backtest::bars::BarSeries;
use cst_core::engine::{Action, Engine, EngineConfig, EnginePair};
use cst_core::event::{Bar, Control, Event, KillLevel, MarketEvent, PairId};
use cst_core::signal::SignalOutcome;
use cst_core::sim_venue::{SimVenue, VenueConfig};
use cst_core::strategy::{Strategy, StrategySpec};
use cst_core::trade::Side;
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::collections::BTreeMap;

/// Engine + venue stepped like the backtest runner, recording what was placed.
struct Rig {
    engine: Engine,
    venue: SimVenue,
    placed: Vec<Side>,
}

impl Rig {
    fn new(s: &BarSeries) -> Self {
        let inst = support::xbtusd();
        let sma = Strategy::from_spec(&StrategySpec::builtin("sma-cross").expect("sma")).expect("strategy");
        let ep = EnginePair::from_instrument(&inst, s.scale);
        let engine = Engine::new(&EngineConfig::default(), vec![ep], vec![sma], dec!(10000), 3600).expect("engine");
        let quote = inst.pair.quote().to_string();
        let venue = SimVenue::new(
            VenueConfig::default(),
            vec![support::xbtusd_venue_pair(s)],
            BTreeMap::from([(quote, dec!(10000))]),
        );
        Self { engine, venue, placed: Vec::new() }
    }

    fn feed(&mut self, e: &Event, now_ns: i64) {
        let mut out = Vec::new();
        self.engine.on_event_into(e, &mut out);
        let mut events = Vec::new();
        for a in out {
            match a {
                Action::Place(o) => {
                    self.placed.push(o.intent().side);
                    self.venue.submit(o, now_ns, &mut events);
                }
                Action::Cancel(id) => self.venue.cancel(id, now_ns, &mut events),
                _ => {}
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

    fn control(&mut self, c: Control) {
        let now = self.engine.ledger().journal().last().map_or(0, |f| f.stamp.exchange_ns);
        self.feed(&Event::Control(c), now);
    }

    fn pause(&mut self) {
        self.control(Control::Pause { reason: "operator".into(), at_ns: 0 });
    }

    fn resume(&mut self) {
        self.control(Control::Resume { reason: "operator".into(), at_ns: 0 });
    }

    fn held(&self) -> Decimal {
        self.engine.ledger().position(PairId(0)).qty
    }

    /// Steps bars from `k` until `done` holds; returns the next index.
    fn run_until(&mut self, bars: &[Bar], mut k: usize, done: impl Fn(&Self) -> bool) -> usize {
        while !done(self) {
            assert!(k < bars.len(), "condition never met on the real data");
            self.bar(&bars[k]);
            k += 1;
        }
        k
    }

    fn outcomes(&self) -> Vec<SignalOutcome> {
        self.engine.signals().iter().map(|r| r.outcome.clone()).collect()
    }
}

const START: usize = 45_000;

#[test]
fn paused_engine_opens_no_position_and_records_entries_as_paused() {
    let s = support::xbtusd_hourly();
    let mut rig = Rig::new(&s);
    rig.pause();
    assert!(rig.engine.is_paused());
    for b in &s.bars[START..START + 2_000] {
        rig.bar(b);
    }
    assert!(rig.placed.is_empty(), "no order while paused: {:?}", rig.placed);
    assert!(rig.held().is_zero());
    let paused = rig.outcomes().iter().filter(|o| **o == SignalOutcome::Paused).count();
    assert!(paused > 5, "sma-cross wanted to enter several times in 2000 hours ({paused})");
    assert_eq!(rig.engine.signals().total(), rig.engine.counters().signals, "every target is recorded");
    let paused_reason =
        rig.engine.signals().iter().find(|r| r.outcome == SignalOutcome::Paused).and_then(|r| r.outcome.reason());
    assert_eq!(paused_reason.as_deref(), Some("paused"));
    assert!(rig.engine.signals().iter().all(|r| r.confidence.is_none()), "a rule strategy has no confidence");
}

#[test]
fn paused_engine_still_books_fills_exits_and_obeys_the_kill_switch() {
    let s = support::xbtusd_hourly();
    let mut rig = Rig::new(&s);
    let k = rig.run_until(&s.bars, START, |r| !r.held().is_zero());
    let fills_before = rig.engine.counters().fills;
    rig.pause();
    let k = rig.run_until(&s.bars, k, |r| r.held().is_zero());
    assert_eq!(rig.placed.last(), Some(&Side::Sell), "the exit signal was carried out while paused");
    assert!(rig.engine.counters().fills > fills_before, "its fill was booked");
    assert_eq!(rig.outcomes().last(), Some(&SignalOutcome::Traded));
    let placed = rig.placed.len();
    for b in &s.bars[k..k + 500] {
        rig.bar(b);
    }
    assert_eq!(rig.placed.len(), placed, "no entry while paused");
    rig.control(Control::Kill { level: KillLevel::Halt, reason: "drill".into(), at_ns: 0 });
    assert_eq!(rig.engine.guard().kill_switch().level(), KillLevel::Halt, "the kill switch works while paused");
}

#[test]
fn resume_restores_normal_trading() {
    let s = support::xbtusd_hourly();
    let mut rig = Rig::new(&s);
    rig.pause();
    let k = rig.run_until(&s.bars, START, |r| r.outcomes().contains(&SignalOutcome::Paused));
    rig.resume();
    assert!(!rig.engine.is_paused());
    rig.run_until(&s.bars, k, |r| !r.held().is_zero());
    assert_eq!(rig.placed.first(), Some(&Side::Buy), "the next entry after resume trades");
    assert_eq!(rig.outcomes().iter().filter(|o| o.is_traded()).count(), 1);
}

#[test]
fn pause_and_resume_at_the_same_bars_give_the_same_ledger() {
    let s = support::xbtusd_hourly();
    let run = || {
        let mut rig = Rig::new(&s);
        for (k, b) in s.bars[START..START + 3_000].iter().enumerate() {
            match k {
                400 => rig.pause(),
                1_700 => rig.resume(),
                _ => {}
            }
            rig.bar(b);
        }
        (rig.engine.ledger().journal().to_vec(), rig.outcomes())
    };
    let (a, b) = (run(), run());
    assert!(!a.0.is_empty());
    assert_eq!(a, b);
    let mut plain = Rig::new(&s);
    s.bars[START..START + 3_000].iter().for_each(|b| plain.bar(b));
    assert_ne!(plain.engine.ledger().journal(), a.0.as_slice(), "the pause changed what was traded");
}

#[test]
fn flatten_with_nothing_held_completes_at_once_and_halts() {
    let s = support::xbtusd_hourly();
    let mut rig = Rig::new(&s);
    rig.bar(&s.bars[0]);
    assert!(rig.held().is_zero());
    rig.control(Control::Kill { level: KillLevel::Flatten, reason: "drill".into(), at_ns: 0 });
    let ks = rig.engine.guard().kill_switch();
    assert_eq!(ks.level(), KillLevel::Halt, "no closing fill will come, so the flatten is complete now");
    assert!(rig.placed.is_empty(), "nothing to sell");
}

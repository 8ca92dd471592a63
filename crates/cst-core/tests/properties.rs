//! Invariants under property tests, on real Kraken prices: ledger conservation and exact
//! rebuild, the guard never approving beyond a limit, attribution summing to the result; and
//! the engine-level no-lookahead rule over a real backtest.

mod support;

use cst_core::backtest::{Backtest, BacktestSpec};
use cst_core::engine::{Action, Engine, EngineConfig, EnginePair};
use cst_core::event::{Bar, ClientOrderId, Event, Fill, Liquidity, MarketEvent, PairId, Stamp};
use cst_core::interval::Interval;
use cst_core::ledger::{Ledger, Position};
use cst_core::num::{Money, Price, Qty};
use cst_core::order::{OrderIntent, OrderKind};
use cst_core::pair::Pair;
use cst_core::risk::{RiskGuard, RiskLimits, RiskView};
use cst_core::sim_venue::{SimVenue, VenueConfig};
use cst_core::strategy::{Strategy, StrategySpec};
use cst_core::trade::Side;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

fn series() -> &'static cst_core::backtest::bars::BarSeries {
    static S: OnceLock<cst_core::backtest::bars::BarSeries> = OnceLock::new();
    S.get_or_init(support::xbtusd_hourly)
}

fn real_price(k: usize) -> Price {
    let s = series();
    s.scale.to_price(s.bars[k % s.bars.len()].close).expect("price")
}

fn pairs() -> Vec<Pair> {
    vec!["XBT/USD".parse().expect("pair"), "ETH/USD".parse().expect("pair")]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ledger_conserves_cash_plus_cost_plus_fees_minus_realised_and_rebuilds_exactly(
        steps in prop::collection::vec((any::<bool>(), 1u32..200_000u32, 0usize..50_000, 0usize..2, 0usize..4), 1..60)
    ) {
        let initial = BTreeMap::from([("USD".to_string(), dec!(25000))]);
        let mut ledger = Ledger::new(pairs(), initial.clone());
        let fee_pcts = [dec!(0.40), dec!(0.25), dec!(0.35), dec!(0.10)];
        for (k, (buy, qty_units, price_idx, pair, fee)) in steps.into_iter().enumerate() {
            let qty = Decimal::new(i64::from(qty_units), 5);
            let price = real_price(price_idx);
            let side = if buy { Side::Buy } else { Side::Sell };
            let fee = (qty * price.value() * fee_pcts[fee] / dec!(100)).round_dp(5);
            let fill = Fill {
                id: ClientOrderId(k as u64), pair: PairId(pair as u16), side, qty: Qty::new(qty).expect("q"), price,
                fee: Money::new(fee), liquidity: Liquidity::Taker, reference_price: price, stamp: Stamp::at(k as i64),
            };
            let before = ledger.clone();
            if ledger.apply(&fill).is_err() {
                prop_assert_eq!(&ledger, &before, "a refused fill changes nothing");
            }
            prop_assert_eq!(ledger.conserved("USD"), dec!(25000));
            prop_assert!(ledger.balances().values().all(|b| *b >= Decimal::ZERO));
        }
        let rebuilt = Ledger::rebuild(pairs(), initial, ledger.journal()).expect("rebuild");
        prop_assert_eq!(rebuilt, ledger);
    }

    #[test]
    fn guard_never_approves_beyond_any_limit(
        max_qty in 1u32..300, max_pair in 100u32..50_000, max_total in 100u32..80_000, max_asset in 100u32..60_000,
        held in prop::collection::vec(0u32..400, 2), orders in prop::collection::vec((0usize..2, 1u32..200, 0usize..50_000), 1..30),
    ) {
        let limits = RiskLimits {
            max_position_qty: Some(Decimal::new(i64::from(max_qty), 2)),
            max_pair_notional: Some(Decimal::from(max_pair)),
            max_total_notional: Some(Decimal::from(max_total)),
            max_asset_exposure: Some(Decimal::from(max_asset)),
            max_orders_per_window: 0,
            ..RiskLimits::default()
        };
        let mut guard = RiskGuard::new(limits.clone(), 2);
        let now = series().bars[49_000].stamp.exchange_ns;
        guard.on_bar(PairId(0), now, 1.0);
        guard.on_bar(PairId(1), now, 1.0);
        guard.on_equity(now, 1e6);
        let marks = [Some(real_price(48_000)), Some(real_price(30_000))];
        let mut positions: Vec<Position> =
            held.iter().map(|h| Position { qty: Decimal::new(i64::from(*h), 2), ..Position::default() }).collect();
        for (seq, (pair, qty, price_idx)) in orders.into_iter().enumerate() {
            let price = real_price(price_idx);
            let intent = OrderIntent {
                id: ClientOrderId::derive(PairId(pair as u16), now, seq as u32),
                pair: PairId(pair as u16), side: Side::Buy, qty: Qty::new(Decimal::new(i64::from(qty), 2)).expect("q"),
                kind: OrderKind::Market, decision_price: price, decided_ns: now, reduce_only: false,
            };
            let view = RiskView { pairs: &pairs(), positions: &positions, marks: &marks, book_mid: None, now_ns: now };
            let Ok(approved) = guard.approve(intent, &view) else { continue };
            let o = approved.intent();
            let new_qty = positions[pair].qty + o.qty.value();
            prop_assert!(new_qty <= Decimal::new(i64::from(max_qty), 2));
            prop_assert!(new_qty * price.value() <= Decimal::from(max_pair));
            let other = positions[1 - pair].qty * marks[1 - pair].expect("mark").value();
            prop_assert!(new_qty * price.value() + other <= Decimal::from(max_total));
            prop_assert!(new_qty * price.value() <= Decimal::from(max_asset));
            // Book the approved order as if filled at its decision price.
            positions[pair].qty = new_qty;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn attribution_parts_sum_exactly_to_the_change_in_equity(
        start in 0usize..45_000, len in 500usize..3_000, fast in 2usize..15, gap in 1usize..40,
        slippage_bps in 0.0f64..40.0, latency_ms in 0u64..5_000, participation in 0.01f64..1.0,
    ) {
        let s = series();
        let bars = &s.bars[start..(start + len).min(s.bars.len())];
        let spec = BacktestSpec {
            strategy: StrategySpec::SmaCross { fast, slow: fast + gap },
            engine: EngineConfig::default(),
            venue: VenueConfig { slippage_bps, latency_ms, max_participation: participation, ..VenueConfig::default() },
            cash: dec!(10000),
            interval: Interval::H1,
            record_curve: false,
        };
        let mut bt = Backtest::new(spec, vec![support::xbtusd_venue_pair(s)]).expect("backtest");
        bt.run(bars);
        let report = bt.report();
        prop_assert_eq!(report.attribution.total, report.final_equity - report.initial_equity);
        prop_assert_eq!(bt.engine().counters().ledger_errors, 0);
        prop_assert_eq!(bt.engine().ledger().conserved("USD"), dec!(10000));
    }
}

#[test]
fn no_fill_happens_on_or_before_its_decision_candle_in_a_real_backtest() {
    let s = series();
    let pair = support::xbtusd_venue_pair(s);
    let config = EngineConfig::default();
    let ep = EnginePair::from_instrument(&pair.instrument, s.scale);
    let strategy = Strategy::from_spec(&StrategySpec::builtin("sma-cross").expect("sma")).expect("strategy");
    let mut engine = Engine::new(&config, vec![ep], vec![strategy], dec!(10000), 3600).expect("engine");
    let mut venue = SimVenue::new(VenueConfig::default(), vec![pair], BTreeMap::from([("USD".into(), dec!(10000))]));
    let mut decided: HashMap<ClientOrderId, i64> = HashMap::new();
    let mut bar_of_fill: Vec<(Fill, Bar)> = Vec::new();
    let (mut events, mut actions) = (Vec::new(), Vec::new());
    for bar in &s.bars[..20_000] {
        venue.on_bar(bar, &mut events);
        for e in events.drain(..) {
            if let Event::Fill(f) = e {
                bar_of_fill.push((f, *bar));
            }
            engine.on_event_into(&e, &mut actions);
        }
        engine.on_event_into(&Event::Market(MarketEvent::Bar(*bar)), &mut actions);
        for a in actions.drain(..) {
            if let Action::Place(o) = a {
                decided.insert(o.id(), o.intent().decided_ns);
                venue.submit(o, bar.stamp.exchange_ns, &mut events);
            }
        }
        for e in events.drain(..) {
            engine.on_event_into(&e, &mut Vec::new());
        }
    }
    assert!(bar_of_fill.len() > 100);
    for (f, bar) in &bar_of_fill {
        let t = decided[&f.id];
        assert!(bar.open_time_ns >= t, "filled on a candle that opened before the decision");
        let (lo, hi) = (s.scale.to_decimal(bar.low), s.scale.to_decimal(bar.high));
        assert!(f.price.value() >= lo && f.price.value() <= hi, "fill price {} never traded in [{lo}, {hi}]", f.price);
    }
}

#[test]
fn ledger_of_the_golden_run_rebuilds_exactly_from_its_journal() {
    let s = series();
    let spec = BacktestSpec {
        strategy: StrategySpec::builtin("sma-cross").expect("sma"),
        engine: EngineConfig::default(),
        venue: VenueConfig::default(),
        cash: dec!(10000),
        interval: Interval::H1,
        record_curve: false,
    };
    let mut bt = Backtest::new(spec, vec![support::xbtusd_venue_pair(s)]).expect("backtest");
    bt.run(&s.bars);
    let l = bt.engine().ledger();
    let rebuilt = Ledger::rebuild(l.pairs().to_vec(), l.initial().clone(), l.journal()).expect("rebuild");
    assert_eq!(&rebuilt, l);
    assert_eq!(&l.balances(), bt.venue().balances(), "our ledger agrees with the venue's account");
}

//! One test per risk rule: each shows an order refused and the reason. Prices are real Kraken
//! XBT/USD and ETH/USD hourly closes.

mod support;

use cst_core::event::{ClientOrderId, KillLevel, PairId};
use cst_core::ledger::Position;
use cst_core::num::{Price, Qty};
use cst_core::order::{OrderIntent, OrderKind};
use cst_core::pair::Pair;
use cst_core::risk::{RiskGuard, RiskLimits, RiskView, Rule};
use cst_core::trade::Side;
use rust_decimal::Decimal;
use rust_decimal::dec;

const HOUR_NS: i64 = 3_600_000_000_000;

/// Real closes: the last 600 hourly XBT/USD bars of the file, and ETH/USD at the same times.
struct Market {
    pairs: Vec<Pair>,
    xbt: Vec<(i64, f64, Decimal)>,
    eth: Vec<(i64, f64, Decimal)>,
}

fn closes(file: &str) -> Vec<(i64, f64, Decimal)> {
    let text = cst_testdata::read_text(file);
    let (rows, _) = cst_core::backtest::bars::parse_ohlcvt(&text);
    rows.iter()
        .map(|r| (r.time * 1_000_000_000 + HOUR_NS, r.close.to_string().parse().expect("f64"), r.close))
        .collect()
}

fn market() -> Market {
    static CACHE: std::sync::OnceLock<Market> = std::sync::OnceLock::new();
    let m = CACHE.get_or_init(load);
    Market { pairs: m.pairs.clone(), xbt: m.xbt.clone(), eth: m.eth.clone() }
}

fn load() -> Market {
    let xbt = closes("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
    let eth = closes("kraken/ohlcvt/hourly-2013-2020/ETHUSD_60.csv.gz");
    let start = xbt[xbt.len() - 600].0;
    let keep = |v: Vec<(i64, f64, Decimal)>| v.into_iter().filter(|c| c.0 >= start).collect::<Vec<_>>();
    let pairs =
        vec!["XBT/USD".parse().expect("pair"), "ETH/USD".parse().expect("pair"), "XBT/EUR".parse().expect("pair")];
    Market { pairs, xbt: keep(xbt), eth: keep(eth) }
}

struct Desk {
    m: Market,
    guard: RiskGuard,
    positions: Vec<Position>,
    now_ns: i64,
}

impl Desk {
    fn new(limits: RiskLimits) -> Self {
        let m = market();
        let mut guard = RiskGuard::new(limits, 3);
        for c in &m.xbt {
            guard.on_bar(PairId(0), c.0, c.1);
            guard.on_bar(PairId(2), c.0, c.1);
        }
        for c in &m.eth {
            guard.on_bar(PairId(1), c.0, c.1);
        }
        let now_ns = m.xbt.last().expect("bars").0;
        guard.on_equity(now_ns, 10_000.0);
        Self { m, guard, positions: vec![Position::default(); 3], now_ns }
    }

    fn price(&self, pair: usize) -> Price {
        let c = if pair == 1 { &self.m.eth } else { &self.m.xbt };
        Price::new(c.last().expect("bar").2).expect("price")
    }

    fn hold(&mut self, pair: usize, qty: Decimal) {
        let p = self.price(pair).value();
        self.positions[pair] = Position { qty, cost_basis: qty * p, ..Position::default() };
    }

    fn intent(&self, pair: usize, qty: Decimal, seq: u32) -> OrderIntent {
        OrderIntent {
            id: ClientOrderId::derive(PairId(pair as u16), self.now_ns, seq),
            pair: PairId(pair as u16),
            side: Side::Buy,
            qty: Qty::new(qty).expect("qty"),
            kind: OrderKind::Market,
            decision_price: self.price(pair),
            decided_ns: self.now_ns,
            reduce_only: false,
        }
    }

    fn try_order(&mut self, o: OrderIntent) -> Result<(), (Rule, String)> {
        let marks: Vec<Option<Price>> = (0..3).map(|i| Some(self.price(i))).collect();
        let view = RiskView {
            pairs: &self.m.pairs,
            positions: &self.positions,
            marks: &marks,
            book_mid: None,
            now_ns: self.now_ns,
        };
        self.guard.approve(o, &view).map(|_| ()).map_err(|r| (r.rule, r.reason))
    }

    fn refusals(&self, rule: Rule) -> u64 {
        self.guard.refusal_counts().into_iter().find(|(r, _)| *r == rule).map_or(0, |(_, n)| n)
    }
}

fn refused(result: Result<(), (Rule, String)>, rule: Rule, needle: &str) {
    let (got, reason) = result.expect_err("must be refused");
    assert_eq!(got, rule, "{reason}");
    assert!(reason.contains(needle), "reason {reason:?} lacks {needle:?}");
}

#[test]
fn approves_an_order_within_every_limit() {
    let mut d = Desk::new(RiskLimits::default());
    let o = d.intent(0, dec!(0.01), 1);
    assert!(d.try_order(o).is_ok());
}

#[test]
fn rejects_order_when_position_size_limit_would_be_exceeded() {
    let mut d = Desk::new(RiskLimits { max_position_qty: Some(dec!(0.5)), ..RiskLimits::default() });
    d.hold(0, dec!(0.4));
    let o = d.intent(0, dec!(0.2), 1);
    refused(d.try_order(o), Rule::MaxPositionQty, "position would be 0.6, limit 0.5");
    assert_eq!(d.refusals(Rule::MaxPositionQty), 1);
}

#[test]
fn rejects_order_when_pair_notional_limit_would_be_exceeded() {
    let mut d = Desk::new(RiskLimits { max_pair_notional: Some(dec!(1000)), ..RiskLimits::default() });
    let o = d.intent(0, dec!(0.2), 1);
    refused(d.try_order(o), Rule::MaxPairNotional, "limit 1000");
}

#[test]
fn rejects_order_when_total_notional_limit_would_be_exceeded() {
    let mut d = Desk::new(RiskLimits { max_total_notional: Some(dec!(3000)), ..RiskLimits::default() });
    d.hold(1, dec!(6));
    let o = d.intent(0, dec!(0.1), 1);
    refused(d.try_order(o), Rule::MaxTotalNotional, "total notional would be");
}

#[test]
fn rejects_order_when_asset_exposure_across_pairs_would_be_exceeded() {
    let mut d = Desk::new(RiskLimits { max_asset_exposure: Some(dec!(1500)), ..RiskLimits::default() });
    d.hold(2, dec!(0.1));
    let o = d.intent(0, dec!(0.05), 1);
    refused(d.try_order(o), Rule::MaxAssetExposure, "XBT exposure would be");
}

#[test]
fn rejects_adding_a_pair_correlated_with_a_held_position() {
    let limits = RiskLimits { correlation_limit: Some(0.3), correlation_window: 500, ..RiskLimits::default() };
    let mut d = Desk::new(limits);
    d.hold(0, dec!(0.1));
    let o = d.intent(1, dec!(1), 1);
    refused(d.try_order(o), Rule::Correlation, "with held XBT/USD exceeds 0.3");
}

#[test]
fn rejects_order_when_daily_loss_limit_is_hit() {
    let mut d = Desk::new(RiskLimits { daily_loss_limit: Some(0.05), ..RiskLimits::default() });
    d.guard.on_equity(d.now_ns + 1, 9_400.0);
    let o = d.intent(0, dec!(0.01), 1);
    refused(d.try_order(o), Rule::DailyLoss, "daily loss 0.0600 reached limit 0.05");
}

#[test]
fn rejects_order_when_max_drawdown_is_hit() {
    let mut d = Desk::new(RiskLimits { max_drawdown: Some(0.2), ..RiskLimits::default() });
    d.guard.on_equity(d.now_ns + 86_400_000_000_000, 7_900.0);
    let o = d.intent(0, dec!(0.01), 1);
    refused(d.try_order(o), Rule::MaxDrawdown, "drawdown 0.2100 reached limit 0.2");
}

#[test]
fn rejects_order_when_order_rate_limit_is_hit() {
    let mut d = Desk::new(RiskLimits { max_orders_per_window: 2, order_window_secs: 60, ..RiskLimits::default() });
    for seq in 1..=2 {
        let o = d.intent(0, dec!(0.01), seq);
        assert!(d.try_order(o).is_ok());
    }
    let o = d.intent(0, dec!(0.01), 3);
    refused(d.try_order(o), Rule::OrderRate, "2 orders within 60s");
}

#[test]
fn rejects_limit_price_outside_the_fat_finger_band() {
    let mut d = Desk::new(RiskLimits { fat_finger_bps: dec!(100), ..RiskLimits::default() });
    let mut o = d.intent(0, dec!(0.01), 1);
    let far = Price::new(d.price(0).value() * dec!(1.05)).expect("price");
    o.kind = OrderKind::Limit { price: far, post_only: false, display_qty: None };
    refused(d.try_order(o), Rule::FatFinger, "(band 100 bps)");
}

#[test]
fn rejects_order_on_stale_data() {
    let mut d = Desk::new(RiskLimits { max_data_age_secs: 7_200, ..RiskLimits::default() });
    d.now_ns += 3 * HOUR_NS;
    let o = d.intent(0, dec!(0.01), 1);
    refused(d.try_order(o), Rule::StaleData, "last data 10800s old, limit 7200s");
}

#[test]
fn rejects_order_when_the_data_quality_gate_blocks_the_pair() {
    let mut d = Desk::new(RiskLimits::default());
    d.guard.set_quality(PairId(0), false, "completeness 0.91 below 0.99");
    let o = d.intent(0, dec!(0.01), 1);
    refused(d.try_order(o), Rule::StaleData, "data-quality gate blocks the pair: completeness 0.91");
}

#[test]
fn rejects_a_duplicate_client_order_id() {
    let mut d = Desk::new(RiskLimits::default());
    let o = d.intent(0, dec!(0.01), 1);
    assert!(d.try_order(o).is_ok());
    refused(d.try_order(o), Rule::DuplicateOrderId, "was already used");
}

#[test]
fn kill_switch_escalates_normal_warn_reduce_only_flatten_halt_with_reasons() {
    let limits = RiskLimits {
        kill_warn_drawdown: Some(0.05),
        kill_reduce_only_drawdown: Some(0.10),
        kill_flatten_drawdown: Some(0.15),
        kill_halt_drawdown: Some(0.20),
        ..RiskLimits::default()
    };
    let mut d = Desk::new(limits);
    d.hold(0, dec!(0.1));
    let t = d.now_ns;
    let mut seq = 0;
    let mut order = |d: &mut Desk, side: Side| {
        seq += 1;
        let mut o = d.intent(0, dec!(0.01), seq);
        o.side = side;
        d.try_order(o)
    };
    let steps = [
        (9_400.0, KillLevel::Warn),
        (8_900.0, KillLevel::ReduceOnly),
        (8_400.0, KillLevel::Flatten),
        (7_900.0, KillLevel::Halt),
    ];
    for (k, (equity, level)) in steps.into_iter().enumerate() {
        let moved = d.guard.on_equity(t + k as i64, equity).expect("escalates");
        assert_eq!((moved.to, moved.trigger.as_str()), (level, "drawdown"));
        assert!(moved.reason.starts_with("drawdown"), "{}", moved.reason);
        match level {
            KillLevel::Warn => assert!(order(&mut d, Side::Buy).is_ok()),
            KillLevel::ReduceOnly | KillLevel::Flatten => {
                refused(order(&mut d, Side::Buy), Rule::KillSwitch, "kill switch at");
                assert!(order(&mut d, Side::Sell).is_ok(), "reducing stays allowed");
            }
            _ => refused(order(&mut d, Side::Sell), Rule::KillSwitch, "kill switch at Halt"),
        }
    }
    // Recovery does not de-escalate; only an explicit reset does.
    assert!(d.guard.on_equity(t + 10, 10_000.0).is_none());
    assert_eq!(d.guard.kill_switch().level(), KillLevel::Halt);
    let reset = d.guard.reset_kill("operator reviewed".into(), t + 11).expect("reset");
    assert_eq!((reset.from, reset.to), (KillLevel::Halt, KillLevel::Normal));
    let levels: Vec<KillLevel> = d.guard.kill_switch().history().iter().map(|h| h.to).collect();
    assert_eq!(
        levels,
        [KillLevel::Warn, KillLevel::ReduceOnly, KillLevel::Flatten, KillLevel::Halt, KillLevel::Normal]
    );
}

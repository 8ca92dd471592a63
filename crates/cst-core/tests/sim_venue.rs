//! The simulated venue on real data: Kraken's error strings, fees at the entry tier, candle
//! fills without lookahead, and walking the real XBT/USDT book.

mod support;

use cst_core::depth::{Depth, Level};
use cst_core::event::{Bar, ClientOrderId, Event, Liquidity, OrderUpdate, PairId, PriceScale, Stamp};
use cst_core::ledger::Position;
use cst_core::num::{Price, Qty};
use cst_core::order::{OrderIntent, OrderKind};
use cst_core::pair::Pair;
use cst_core::risk::{ApprovedOrder, RiskGuard, RiskLimits, RiskView};
use cst_core::sim_venue::{SimVenue, VenueConfig, VenuePair};
use cst_core::trade::Side;
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::collections::BTreeMap;

/// Approves through the real guard (the only way to get an `ApprovedOrder`).
fn approve(kind: OrderKind, side: Side, qty: Decimal, price: Price, now_ns: i64, seq: u32) -> ApprovedOrder {
    let limits = RiskLimits { fat_finger_bps: dec!(10000), ..RiskLimits::default() };
    let mut guard = RiskGuard::new(limits, 1);
    guard.on_bar(PairId(0), now_ns, price.to_f64());
    guard.on_equity(now_ns, 1e6);
    let pairs: Vec<Pair> = vec!["XBT/USDT".parse().expect("pair")];
    let intent = OrderIntent {
        id: ClientOrderId::derive(PairId(0), now_ns, seq),
        pair: PairId(0),
        side,
        qty: Qty::new(qty).expect("qty"),
        kind,
        decision_price: price,
        decided_ns: now_ns,
        reduce_only: side == Side::Sell,
    };
    let view =
        RiskView { pairs: &pairs, positions: &[Position::default()], marks: &[Some(price)], book_mid: None, now_ns };
    guard.approve(intent, &view).expect("approved")
}

fn book() -> Depth {
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
    let ts = v["result"]["XBTUSDT"]["asks"][0][2].as_i64().expect("ts") * 1_000_000_000;
    Depth { pair: PairId(0), stamp: Stamp::at(ts), bids: side("bids"), asks: side("asks") }
}

fn venue(usdt: Decimal, xbt: Decimal) -> SimVenue {
    let pair = VenuePair { instrument: support::xbtusdt(), scale: PriceScale::new(1).expect("scale") };
    let config = VenueConfig { latency_ms: 0, jitter_ms: 0, ..VenueConfig::default() };
    SimVenue::new(config, vec![pair], BTreeMap::from([("USDT".to_string(), usdt), ("XBT".to_string(), xbt)]))
}

fn rejection(events: &[Event]) -> Option<String> {
    events.iter().find_map(|e| match e {
        Event::Order(OrderUpdate::Rejected { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
}

fn submit(v: &mut SimVenue, kind: OrderKind, side: Side, qty: Decimal, seq: u32) -> Vec<Event> {
    let b = book();
    let mid = b.mid().expect("mid");
    let mut out = Vec::new();
    v.submit(approve(kind, side, qty, mid, b.stamp.exchange_ns, seq), b.stamp.exchange_ns, &mut out);
    out
}

#[test]
fn rejects_below_ordermin_with_krakens_error() {
    let mut v = venue(dec!(100000), dec!(0));
    let out = submit(&mut v, OrderKind::Market, Side::Buy, dec!(0.00004), 1);
    assert_eq!(rejection(&out).as_deref(), Some("EOrder:Order minimum not met"));
}

#[test]
fn rejects_volume_finer_than_lot_decimals_with_krakens_error() {
    let mut v = venue(dec!(100000), dec!(0));
    let out = submit(&mut v, OrderKind::Market, Side::Buy, dec!(0.000050001), 1);
    assert_eq!(rejection(&out).as_deref(), Some("EGeneral:Invalid arguments:volume"));
}

#[test]
fn rejects_price_off_tick_with_krakens_error() {
    let mut v = venue(dec!(100000), dec!(0));
    let kind = OrderKind::Limit { price: Price::new(dec!(105900.05)).expect("p"), post_only: false, display_qty: None };
    let out = submit(&mut v, kind, Side::Buy, dec!(0.001), 1);
    assert_eq!(
        rejection(&out).as_deref(),
        Some("EOrder:Invalid price:XBTUSDT price can only be specified up to 1 decimals.")
    );
}

#[test]
fn rejects_order_beyond_balance_with_insufficient_funds() {
    let mut v = venue(dec!(100), dec!(0));
    let out = submit(&mut v, OrderKind::Market, Side::Buy, dec!(0.01), 1);
    assert_eq!(rejection(&out).as_deref(), Some("EOrder:Insufficient funds"));
    let out = submit(&mut v, OrderKind::Market, Side::Sell, dec!(0.01), 2);
    assert_eq!(rejection(&out).as_deref(), Some("EOrder:Insufficient funds"), "no XBT to sell");
}

#[test]
fn market_order_walks_the_real_book_with_one_fill_per_level_at_taker_fee() {
    let b = book();
    let mut v = venue(dec!(1000000), dec!(0));
    let want = b.asks[0].qty.value() + b.asks[1].qty.value() + dec!(0.001);
    let mut out = submit(&mut v, OrderKind::Market, Side::Buy, want, 1);
    v.on_depth(&b, &mut out);
    let fills: Vec<_> = out.iter().filter_map(|e| if let Event::Fill(f) = e { Some(*f) } else { None }).collect();
    assert_eq!(fills.len(), 3);
    assert_eq!(
        fills.iter().map(|f| f.price).collect::<Vec<_>>(),
        vec![b.asks[0].price, b.asks[1].price, b.asks[2].price]
    );
    assert_eq!(fills.iter().map(|f| f.qty.value()).sum::<Decimal>(), want);
    for f in &fills {
        assert_eq!(f.liquidity, Liquidity::Taker);
        assert_eq!(
            f.fee.value(),
            (f.qty.value() * f.price.value() * dec!(0.004)).round_dp(5),
            "0.40 % taker at entry tier"
        );
        assert_eq!(f.reference_price, b.asks[0].price);
    }
}

#[test]
fn consumed_liquidity_is_not_refilled_within_the_same_book_event() {
    let b = book();
    let mut v = venue(dec!(1000000), dec!(0));
    let first = b.asks[0].qty.value();
    let mut out = submit(&mut v, OrderKind::Market, Side::Buy, first, 1);
    out.extend(submit(&mut v, OrderKind::Market, Side::Buy, first, 2));
    v.on_depth(&b, &mut out);
    let prices: Vec<Price> =
        out.iter().filter_map(|e| if let Event::Fill(f) = e { Some(f.price) } else { None }).collect();
    assert_eq!(prices[0], b.asks[0].price);
    assert!(prices[1..].iter().all(|p| *p > b.asks[0].price), "second order must not see the consumed best ask");
}

#[test]
fn limit_that_does_not_cross_rests_behind_the_queue_at_its_level() {
    let b = book();
    let mut v = venue(dec!(1000000), dec!(0));
    let kind = OrderKind::Limit { price: b.bids[0].price, post_only: true, display_qty: None };
    let mut out = submit(&mut v, kind, Side::Buy, dec!(0.01), 1);
    v.on_depth(&b, &mut out);
    assert!(!out.iter().any(|e| matches!(e, Event::Fill(_))), "a bid at the best bid does not take");
    assert_eq!(v.working_count(), 1);
}

#[test]
fn post_only_limit_that_would_take_is_rejected() {
    let b = book();
    let mut v = venue(dec!(1000000), dec!(0));
    let kind = OrderKind::Limit { price: b.asks[0].price, post_only: true, display_qty: None };
    let mut out = submit(&mut v, kind, Side::Buy, dec!(0.01), 1);
    v.on_depth(&b, &mut out);
    assert_eq!(rejection(&out).as_deref(), Some("EOrder:Post only order"));
}

/// Two consecutive real hourly XBT/USD bars with distinct prices.
fn real_bars() -> (Bar, Bar, PriceScale) {
    let series = support::xbtusd_hourly();
    let k =
        series.bars.iter().position(|b| b.high > b.low && b.open_time_ns >= 1_577_836_800_000_000_000).expect("2020");
    (series.bars[k], series.bars[k + 1], series.scale)
}

#[test]
fn order_decided_on_candle_t_never_fills_on_t_and_fills_on_t_plus_1_inside_its_range() {
    let (t, next, scale) = real_bars();
    let pair = VenuePair { instrument: support::xbtusd(), scale };
    let mut v = SimVenue::new(VenueConfig::default(), vec![pair], BTreeMap::from([("USD".to_string(), dec!(100000))]));
    let close = scale.to_price(t.close).expect("close");
    let mut out = Vec::new();
    v.on_bar(&t, &mut out);
    v.submit(
        approve(OrderKind::Market, Side::Buy, dec!(0.5), close, t.stamp.exchange_ns, 1),
        t.stamp.exchange_ns,
        &mut out,
    );
    out.clear();
    v.on_bar(&t, &mut out);
    assert!(out.is_empty(), "the decision candle itself can never fill the order");
    v.on_bar(&next, &mut out);
    let fill = out.iter().find_map(|e| if let Event::Fill(f) = e { Some(*f) } else { None }).expect("filled on t+1");
    let (lo, hi) = (scale.to_decimal(next.low), scale.to_decimal(next.high));
    assert!(fill.price.value() >= lo && fill.price.value() <= hi, "fill {} outside [{lo}, {hi}]", fill.price);
    assert_eq!(fill.reference_price.value(), scale.to_decimal(next.open));
    assert!(fill.stamp.exchange_ns >= next.open_time_ns);
}

#[test]
fn fee_tier_follows_the_rolling_30_day_volume() {
    let s = support::xbtusd_hourly();
    let inst = support::xbtusd();
    let pair = VenuePair { instrument: inst.clone(), scale: s.scale };
    let mut v = SimVenue::new(VenueConfig::default(), vec![pair], BTreeMap::from([("USD".to_string(), dec!(100000))]));
    assert_eq!(v.fee_percent(&inst), (dec!(0.40), dec!(0.25)), "entry tier");
    let k = s.bars.iter().position(|b| b.open_time_ns >= 1_577_836_800_000_000_000 && b.volume > 50.0).expect("2020");
    let (t, next) = (s.bars[k], s.bars[k + 1]);
    let close = s.scale.to_price(t.close).expect("close");
    let mut out = Vec::new();
    v.on_bar(&t, &mut out);
    v.submit(
        approve(OrderKind::Market, Side::Buy, dec!(2), close, t.stamp.exchange_ns, 1),
        t.stamp.exchange_ns,
        &mut out,
    );
    v.on_bar(&next, &mut out);
    assert!(v.volume_30d() > dec!(10000));
    assert_eq!(v.fee_percent(&inst), (dec!(0.35), dec!(0.20)), "next tier from 10,000 USD of 30-day volume");
    let later =
        s.bars.iter().find(|b| b.open_time_ns >= next.open_time_ns + 31 * 86_400_000_000_000).expect("31 days on");
    let close = s.scale.to_price(later.close).expect("close");
    v.on_bar(later, &mut out);
    v.submit(
        approve(OrderKind::Market, Side::Sell, dec!(0.01), close, later.stamp.exchange_ns, 2),
        later.stamp.exchange_ns,
        &mut out,
    );
    let after = s.bars.iter().find(|b| b.open_time_ns >= later.stamp.exchange_ns && b.volume > 1.0).expect("bar");
    v.on_bar(after, &mut out);
    assert!(v.volume_30d() < dec!(10000), "the old volume left the 30-day window: {out:?}");
    assert_eq!(v.fee_percent(&inst), (dec!(0.40), dec!(0.25)));
}

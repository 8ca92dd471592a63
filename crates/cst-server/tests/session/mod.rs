//! A paper session replayed over real Kraken hourly candles (XBT/USD and ETH/USD, the last 30 days
//! of the 2013–2020 dumps): entries and a partial exit at real closes, Kraken's base taker fee,
//! positions marked at the last real close. Every price in the snapshot comes from the files.

use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::num::{Money, Price, Qty};
use cst_core::ohlcvt::Layout;
use cst_core::pair::Pair;
use cst_core::quality::{GateMode, assess};
use cst_core::time::Timestamp;
use cst_core::trade::Side;
use cst_server::snapshot::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// Hours replayed.
const WINDOW: usize = 720;
/// Kraken's base-tier taker fee, 0.26 %.
const TAKER_FEE: Decimal = Decimal::from_parts(26, 0, 0, false, 4);
/// Starting cash, USD.
const START_CASH: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);

fn candles(file: &str) -> Vec<CandleRow> {
    let text = cst_testdata::read_text(&format!("kraken/ohlcvt/hourly-2013-2020/{file}"));
    let layout = Layout::default();
    let rows: Vec<CandleRow> = text.lines().map(|l| layout.parse_line(l).expect("real Kraken row")).collect();
    rows[rows.len() - WINDOW..].to_vec()
}

fn rfc(secs: i64) -> String {
    Timestamp::from_secs(secs).expect("time").to_rfc3339()
}

struct Leg {
    pair: Pair,
    qty: Decimal,
    cost: Decimal,
    realized: Decimal,
}

fn fill(pair: &Pair, side: Side, qty: Decimal, row: &CandleRow, id: &str) -> FillView {
    FillView {
        client_order_id: id.to_string(),
        pair: pair.clone(),
        side,
        qty: Qty::new(qty).expect("qty"),
        price: Price::new(row.close).expect("real close"),
        fee: Money::new((qty * row.close * TAKER_FEE).round_dp(8)),
        time: rfc(row.time + 3600),
    }
}

/// Marks at the last real close at or before `t` (positions are valued at the last trade).
fn mark_at(rows: &[CandleRow], t: i64) -> Option<Decimal> {
    rows.iter().take_while(|r| r.time <= t).last().map(|r| r.close)
}

/// The replayed session's snapshot (computed once per test binary).
pub fn replayed_session() -> SystemSnapshot {
    static SESSION: std::sync::OnceLock<SystemSnapshot> = std::sync::OnceLock::new();
    SESSION.get_or_init(replay).clone()
}

fn replay() -> SystemSnapshot {
    let (xbt, eth) = (candles("XBTUSD_60.csv.gz"), candles("ETHUSD_60.csv.gz"));
    let (xbt_pair, eth_pair): (Pair, Pair) = ("XBT/USD".parse().expect("pair"), "ETH/USD".parse().expect("pair"));
    let half = xbt.len() / 2;
    let fills = vec![
        fill(&xbt_pair, Side::Buy, Decimal::new(5, 1), &xbt[0], "cst-xbt-1"),
        fill(&eth_pair, Side::Buy, Decimal::new(10, 0), &eth[0], "cst-eth-1"),
        fill(&xbt_pair, Side::Sell, Decimal::new(2, 1), &xbt[half], "cst-xbt-2"),
    ];
    let mut cash = START_CASH;
    let mut legs = BTreeMap::new();
    let mut equity = Vec::new();
    let mut applied = 0;
    for row in &xbt {
        let t = row.time + 3600;
        while applied < fills.len() && Timestamp::parse(&fills[applied].time).expect("t").as_secs() <= t {
            apply(&fills[applied], &mut cash, &mut legs);
            applied += 1;
        }
        let value = marked_value(&legs, &xbt, &eth, row.time);
        equity.push(EquityPoint { time: rfc(t), equity: Money::new(cash + value) });
    }
    let last_t = xbt[xbt.len() - 1].time;
    let positions: Vec<PositionView> = legs
        .values()
        .map(|l: &Leg| {
            let rows = if l.pair == xbt_pair { &xbt } else { &eth };
            let mark = mark_at(rows, last_t).expect("mark");
            PositionView {
                pair: l.pair.clone(),
                qty: l.qty,
                avg_price: Price::new(l.cost / l.qty).ok(),
                mark_price: Price::new(mark).ok(),
                notional: Money::new((l.qty * mark).abs()),
                unrealized_pnl: Money::new(l.qty * mark - l.cost),
                realized_pnl: Money::new(l.realized),
            }
        })
        .collect();
    let quality = [(&xbt, "XBT/USD"), (&eth, "ETH/USD")]
        .iter()
        .map(|(rows, name)| {
            PairQuality::from_report(&assess(name, Interval::H1, rows, None, GateMode::Research), GateMode::Research)
        })
        .collect();
    let overview = overview(&equity, &positions);
    SystemSnapshot {
        mode: RunMode::Replay,
        as_of: Some(rfc(last_t + 3600)),
        quote_currency: "USD".into(),
        overview,
        agents: agents(),
        counters: Counters { orders_placed: 3, orders_cancelled: 0, fills: fills.len() as u64, ..Counters::default() },
        fills,
        equity,
        positions,
        quality,
        risk: RiskView {
            daily_loss_limit: Money::new(Decimal::new(5_000, 0)),
            max_drawdown_ratio: 0.2,
            ..RiskView::default()
        },
        ..SystemSnapshot::default()
    }
}

fn apply(f: &FillView, cash: &mut Decimal, legs: &mut BTreeMap<String, Leg>) {
    let leg = legs.entry(f.pair.wsname()).or_insert(Leg {
        pair: f.pair.clone(),
        qty: Decimal::ZERO,
        cost: Decimal::ZERO,
        realized: Decimal::ZERO,
    });
    let (q, p) = (f.qty.value(), f.price.value());
    *cash -= f.fee.value();
    leg.realized -= f.fee.value();
    match f.side {
        Side::Buy => {
            *cash -= q * p;
            leg.qty += q;
            leg.cost += q * p;
        }
        Side::Sell => {
            *cash += q * p;
            let avg = leg.cost / leg.qty;
            leg.realized += q * (p - avg);
            leg.cost -= q * avg;
            leg.qty -= q;
        }
    }
}

fn marked_value(legs: &BTreeMap<String, Leg>, xbt: &[CandleRow], eth: &[CandleRow], t: i64) -> Decimal {
    legs.values()
        .map(|l| {
            let rows = if l.pair.base() == "XBT" { xbt } else { eth };
            mark_at(rows, t).map_or(l.cost, |m| l.qty * m)
        })
        .sum()
}

fn overview(equity: &[EquityPoint], positions: &[PositionView]) -> Overview {
    let now = equity[equity.len() - 1].equity.value();
    let peak = equity.iter().map(|p| p.equity.value()).max().expect("points");
    let today = &equity[equity.len() - 1].time[..10];
    let day_start = equity.iter().rev().find(|p| &p.time[..10] != today).map_or(now, |p| p.equity.value());
    Overview {
        equity: Money::new(now),
        peak_equity: Money::new(peak),
        pnl_today: Money::new(now - day_start),
        realized_pnl: Money::new(positions.iter().map(|p| p.realized_pnl.value()).sum()),
        unrealized_pnl: Money::new(positions.iter().map(|p| p.unrealized_pnl.value()).sum()),
        drawdown_ratio: ((peak - now) / peak).to_f64().expect("ratio"),
        exposure: Money::new(positions.iter().map(|p| p.notional.value()).sum()),
    }
}

fn agents() -> Vec<AgentStatus> {
    ["market-data", "engine", "venue", "persistence", "api"]
        .into_iter()
        .map(|name| AgentStatus {
            name: name.into(),
            health: AgentHealth::Healthy,
            restarts: 0,
            last_error: None,
            since: None,
        })
        .collect()
}

//! Trades → candles, the way Kraken builds its OHLC: per interval bucket the first and last
//! trade price, the extremes, the summed volume, the trade count and the volume-weighted
//! average price (Kraken truncates the vwap to the pair's price decimals).
//!
//! Buckets without trades produce no candle (nothing is invented; Kraken's REST OHLC repeats
//! the previous close with zero volume there, its CSV dumps omit them). Trades must arrive in
//! exchange order: a trade older than its predecessor, or a repeated trade id, is rejected.

use crate::candle::CandleRow;
use crate::interval::Interval;
use crate::trade::Trade;
use rust_decimal::{Decimal, RoundingStrategy};

/// A candle built from trades, with Kraken's OHLC `vwap` alongside the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeCandle {
    /// Open time, OHLC, volume and trade count.
    pub row: CandleRow,
    /// Volume-weighted average price, truncated to the pair's price decimals.
    pub vwap: Decimal,
}

/// Why a trade sequence cannot be aggregated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    /// A trade is older than the one before it.
    #[error("trade #{index} at {time_ns} ns is older than its predecessor")]
    OutOfOrder {
        /// Position in the input.
        index: usize,
        /// Its time, ns.
        time_ns: i64,
    },
    /// A trade id is not larger than the previous one (a duplicate or a replay).
    #[error("trade #{index} repeats or goes back in trade id ({trade_id})")]
    DuplicateId {
        /// Position in the input.
        index: usize,
        /// The offending id.
        trade_id: u64,
    },
}

struct Bucket {
    open_time: i64,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: Decimal,
    notional: Decimal,
    trades: i64,
}

impl Bucket {
    fn start(open_time: i64, t: &Trade) -> Self {
        let (p, q) = (t.price.value(), t.qty.value());
        Bucket { open_time, open: p, high: p, low: p, close: p, volume: q, notional: p * q, trades: 1 }
    }

    fn push(&mut self, t: &Trade) {
        let (p, q) = (t.price.value(), t.qty.value());
        self.high = self.high.max(p);
        self.low = self.low.min(p);
        self.close = p;
        self.volume += q;
        self.notional += p * q;
        self.trades += 1;
    }

    fn finish(self, vwap_decimals: u32) -> TradeCandle {
        let vwap = if self.volume.is_zero() {
            Decimal::ZERO
        } else {
            (self.notional / self.volume).round_dp_with_strategy(vwap_decimals, RoundingStrategy::ToZero)
        };
        let row = CandleRow {
            time: self.open_time,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
            trades: self.trades,
        };
        TradeCandle { row, vwap }
    }
}

fn bucket_of(t: &Trade, interval: Interval) -> i64 {
    interval.floor_secs(t.time.as_nanos().div_euclid(1_000_000_000))
}

fn check_order(trades: &[Trade]) -> Result<(), AggregateError> {
    for (i, w) in trades.windows(2).enumerate() {
        if w[1].time < w[0].time {
            return Err(AggregateError::OutOfOrder { index: i + 1, time_ns: w[1].time.as_nanos() });
        }
        if let (Some(a), Some(b)) = (w[0].trade_id, w[1].trade_id)
            && b <= a
        {
            return Err(AggregateError::DuplicateId { index: i + 1, trade_id: b });
        }
    }
    Ok(())
}

/// Aggregates trades (in exchange order) into candles of `interval`, one per bucket with trades.
pub fn aggregate_trades(
    trades: &[Trade],
    interval: Interval,
    vwap_decimals: u32,
) -> Result<Vec<TradeCandle>, AggregateError> {
    check_order(trades)?;
    let mut out = Vec::new();
    let mut current: Option<Bucket> = None;
    for t in trades {
        let open_time = bucket_of(t, interval);
        match current.as_mut() {
            Some(b) if b.open_time == open_time => b.push(t),
            _ => {
                if let Some(done) = current.replace(Bucket::start(open_time, t)) {
                    out.push(done.finish(vwap_decimals));
                }
            }
        }
    }
    if let Some(done) = current {
        out.push(done.finish(vwap_decimals));
    }
    Ok(out)
}

/// The buckets a trade sequence certainly covers completely: every bucket strictly after the
/// first trade's and strictly before the last trade's (the edge buckets may miss trades outside
/// the sample). Returns `[from, to)` open times, or None when no bucket is fully covered.
pub fn fully_covered_buckets(trades: &[Trade], interval: Interval) -> Option<(i64, i64)> {
    let first = bucket_of(trades.first()?, interval);
    let last = bucket_of(trades.last()?, interval);
    let from = first + interval.secs();
    (from < last).then_some((from, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::{Price, Qty, parse_decimal};
    use crate::time::Timestamp;
    use crate::trade::Side;

    /// The first Kraken XBT/USDT trades of the 2025 REST capture (rows `[price, volume, time, side, ...]`).
    fn recorded(n: usize) -> Vec<Trade> {
        let text = cst_testdata::read_text("kraken/rest-capture-2025/spot/http_trades.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let rows = v["result"]["XBTUSDT"].as_array().expect("rows");
        rows.iter()
            .take(n)
            .map(|r| {
                let secs = parse_decimal(&r[2].to_string()).expect("time");
                Trade {
                    time: Timestamp::from_nanos((secs * Decimal::from(1_000_000_000)).trunc().try_into().expect("ns")),
                    price: Price::parse(r[0].as_str().expect("price")).expect("price"),
                    qty: Qty::parse(r[1].as_str().expect("qty")).expect("qty"),
                    side: if r[3] == "b" { Side::Buy } else { Side::Sell },
                    trade_id: r[6].as_u64(),
                }
            })
            .collect()
    }

    #[test]
    fn rejects_trades_that_go_back_in_time() {
        let mut t = recorded(4);
        t.swap(1, 2);
        assert_eq!(
            aggregate_trades(&t, Interval::M1, 1),
            Err(AggregateError::OutOfOrder { index: 2, time_ns: t[2].time.as_nanos() })
        );
    }

    #[test]
    fn rejects_a_repeated_trade() {
        let mut t = recorded(3);
        t.insert(2, t[1].clone());
        assert_eq!(
            aggregate_trades(&t, Interval::M1, 1),
            Err(AggregateError::DuplicateId { index: 2, trade_id: 10_218_209 })
        );
    }

    #[test]
    fn minutes_without_trades_yield_no_candle_and_edges_are_not_fully_covered() {
        // The first 19 recorded trades fall in 17:23 (1), 17:24 (5) and 17:26 (13); none in 17:25.
        let t = recorded(19);
        let c = aggregate_trades(&t, Interval::M1, 1).expect("ok");
        let minutes: Vec<i64> = c.iter().map(|c| c.row.time).collect();
        assert_eq!(minutes, vec![1_762_795_380, 1_762_795_440, 1_762_795_560]);
        assert_eq!(c.iter().map(|c| c.row.trades).collect::<Vec<_>>(), vec![1, 5, 13]);
        assert_eq!(fully_covered_buckets(&t, Interval::M1), Some((1_762_795_440, 1_762_795_560)));
    }
}

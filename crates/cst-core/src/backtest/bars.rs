//! From candle rows (store or Kraken OHLCVT text) to the engine's compact bars. Rows that fail
//! validation, repeat a time or go back in time are rejected with their reason and counted,
//! never repaired.

use crate::candle::CandleRow;
use crate::event::{Bar, MAX_PRICE_DECIMALS, PairId, PriceScale, Stamp};
use crate::interval::Interval;
use crate::ohlcvt::Layout;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One rejected input row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Line number (1-based) or row index.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// A pair's bars ready for the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    /// Bars in time order.
    pub bars: Vec<Bar>,
    /// Their price scale.
    pub scale: PriceScale,
    /// Rows refused.
    pub rejected: Vec<Rejected>,
}

/// Parses Kraken OHLCVT text (headerless dump or with a header) into rows; bad lines are
/// returned as rejections.
pub fn parse_ohlcvt(text: &str) -> (Vec<CandleRow>, Vec<Rejected>) {
    let mut layout = Layout::default();
    let (mut rows, mut rejected) = (Vec::new(), Vec::new());
    for (k, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if k == 0 {
            match Layout::from_header(line) {
                Ok(Some(l)) => {
                    layout = l;
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    rejected.push(Rejected { line: 1, reason: e.to_string() });
                    continue;
                }
            }
        }
        match layout.parse_line(line) {
            Ok(r) => rows.push(r),
            Err(e) => rejected.push(Rejected { line: k + 1, reason: e.to_string() }),
        }
    }
    (rows, rejected)
}

fn decimals(d: Decimal) -> u32 {
    d.normalize().scale()
}

/// Validates rows and converts them to bars of `pair` (close time as the exchange stamp).
pub fn to_bars(pair: PairId, rows: &[CandleRow], interval: Interval) -> BarSeries {
    let scale_dp = rows
        .iter()
        .flat_map(|r| [r.open, r.high, r.low, r.close])
        .map(decimals)
        .max()
        .unwrap_or(0)
        .min(MAX_PRICE_DECIMALS);
    let scale = PriceScale::new(scale_dp).unwrap_or_else(|| PriceScale::new(0).expect("0 decimals is a valid scale"));
    let (mut bars, mut rejected) = (Vec::with_capacity(rows.len()), Vec::new());
    let mut last_time = i64::MIN;
    for (k, r) in rows.iter().enumerate() {
        let reject = |reason: String| Rejected { line: k + 1, reason };
        if let Err(e) = r.validate(interval) {
            rejected.push(reject(e.to_string()));
            continue;
        }
        if r.time <= last_time {
            let what = if r.time == last_time { "duplicate" } else { "out-of-order" };
            rejected.push(reject(format!("{what} time {}", r.time)));
            continue;
        }
        let ticks = [r.open, r.high, r.low, r.close].map(|d| scale.ticks_of(d));
        let [Some(open), Some(high), Some(low), Some(close)] = ticks else {
            rejected.push(reject(format!("price needs more than {scale_dp} decimals")));
            continue;
        };
        last_time = r.time;
        let open_ns = r.time * 1_000_000_000;
        let close_ns = open_ns + interval.secs() * 1_000_000_000;
        let volume = r.volume.to_f64().unwrap_or(0.0);
        bars.push(Bar { pair, stamp: Stamp::at(close_ns), open_time_ns: open_ns, open, high, low, close, volume });
    }
    BarSeries { bars, scale, rejected }
}

/// Merges several pairs' bars into one time-ordered stream (ties by pair id).
pub fn merge(series: &[&[Bar]]) -> Vec<Bar> {
    let mut all: Vec<Bar> = series.iter().flat_map(|s| s.iter().copied()).collect();
    all.sort_by_key(|b| (b.stamp.exchange_ns, b.pair));
    all
}

//! Labels: direction of the forward return net of Kraken's round-trip taker fees, triple-barrier
//! labels in volatility units, and average-uniqueness weights for overlapping labels. A label never
//! spans a gap: a horizon that would reach past the end of a gap-free run gives no label.

use crate::series::Series;
use cst_core::instrument::Instrument;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Which way a trade would be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy at the decision close, sell at the horizon close.
    Long,
    /// Sell at the decision close, buy back at the horizon close.
    Short,
}

/// The taker fee of one fill, as a fraction (0.004 = 0.40%).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fee {
    /// Fee fraction per fill.
    pub taker: f64,
}

impl Fee {
    /// The taker fee at the entry tier (30-day volume 0) of an instrument's schedule.
    pub fn entry_tier(inst: &Instrument) -> Self {
        let (taker_pct, _) = inst.fee_percent(Decimal::ZERO);
        Self { taker: taker_pct.to_f64().unwrap_or(0.0) / 100.0 }
    }

    /// True when a round trip entered at `entry` and left at `exit` makes money after both fees.
    pub fn wins(&self, side: Side, entry: f64, exit: f64) -> bool {
        match side {
            Side::Long => exit * (1.0 - self.taker) > entry * (1.0 + self.taker),
            Side::Short => entry * (1.0 - self.taker) > exit * (1.0 + self.taker),
        }
    }
}

/// How a row's label is decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LabelKind {
    /// Net-of-fee win at the horizon close.
    NetDirection,
    /// Take-profit first within the horizon, barriers at ±`width` × 64-candle volatility × √horizon;
    /// a take-profit must also clear the round-trip fee.
    TripleBarrier {
        /// Barrier width in volatility units.
        width: f64,
    },
}

/// One row's label at one horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    /// True when the trade wins.
    pub win: bool,
    /// Log return from the decision close to the horizon close (sign as for a long).
    pub log_return: f64,
    /// Index of the candle whose close ends the label (the barrier touch or the horizon).
    pub end: usize,
}

/// The net-of-fee direction label of candle `i` at `horizon` candles, if the run allows it.
pub fn net_direction(s: &Series, i: usize, horizon: usize, fee: Fee, side: Side) -> Option<Label> {
    if horizon == 0 || !s.has_future(i, horizon) {
        return None;
    }
    let (entry, exit) = (s.close[i], s.close[i + horizon]);
    Some(Label { win: fee.wins(side, entry, exit), log_return: (exit / entry).ln(), end: i + horizon })
}

/// The triple-barrier label of candle `i`; `vol` is the causal per-candle volatility at `i`.
/// When one candle touches both barriers the stop is assumed first (the conservative reading).
pub fn triple_barrier(
    s: &Series,
    i: usize,
    horizon: usize,
    vol: f64,
    width: f64,
    fee: Fee,
    side: Side,
) -> Option<Label> {
    if horizon == 0 || !s.has_future(i, horizon) || vol.is_nan() || vol <= 0.0 {
        return None;
    }
    let entry = s.close[i];
    let dist = width * vol * (horizon as f64).sqrt();
    let sign = if side == Side::Long { 1.0 } else { -1.0 };
    let (tp, sl) = (entry * (sign * dist).exp(), entry * (-sign * dist).exp());
    for j in i + 1..=i + horizon {
        let (hit_tp, hit_sl) = match side {
            Side::Long => (s.high[j] >= tp, s.low[j] <= sl),
            Side::Short => (s.low[j] <= tp, s.high[j] >= sl),
        };
        if hit_sl || hit_tp {
            let win = !hit_sl && fee.wins(side, entry, tp);
            return Some(Label { win, log_return: (s.close[j] / entry).ln(), end: j });
        }
    }
    let exit = s.close[i + horizon];
    Some(Label { win: false, log_return: (exit / entry).ln(), end: i + horizon })
}

/// Average uniqueness of each label over the candles it spans (`start < t <= end`), with
/// concurrency counted among all given labels: 1 for a label sharing no candle, 1/h for full overlap.
pub fn average_uniqueness(spans: &[(usize, usize)], n_candles: usize) -> Vec<f64> {
    let mut concurrency = vec![0u32; n_candles + 1];
    for &(start, end) in spans {
        for c in concurrency.iter_mut().take(end + 1).skip(start + 1) {
            *c += 1;
        }
    }
    spans
        .iter()
        .map(|&(start, end)| {
            let len = (end - start).max(1) as f64;
            (start + 1..=end).map(|t| 1.0 / f64::from(concurrency[t].max(1))).sum::<f64>() / len
        })
        .collect()
}

//! Causal candle features (the fallback until `cst_core::features` lands): every value at candle `i`
//! is a function of candles `i - WARMUP ..= i` only, and is produced only when that window has no gap.
//!
//! Names carry their window in candles: `logret_4` is ln(close_i / close_{i-4}); `vol_16` the
//! standard deviation of 1-candle log returns over the last 16; `volume_z_32` the z-score of
//! ln(1 + volume) against the previous 32 candles; `range_1` ln(high/low) of candle `i`;
//! `close_loc_1` where the close sits in the candle's range (0 = low, 1 = high); `dist_high_64` and
//! `dist_low_64` the log distance of the close from the 64-candle high and low.

use crate::series::Series;

/// Candles of history a feature row needs (the longest window plus one for the first return).
pub const WARMUP: usize = 65;

/// The feature names, in column order.
pub const NAMES: [&str; 13] = [
    "logret_1",
    "logret_4",
    "logret_16",
    "logret_64",
    "vol_16",
    "vol_64",
    "vol_ratio_16_64",
    "range_1",
    "range_mean_16",
    "close_loc_1",
    "volume_z_32",
    "dist_high_64",
    "dist_low_64",
];

/// The feature names as owned strings.
pub fn names() -> Vec<String> {
    NAMES.iter().map(|s| s.to_string()).collect()
}

/// The feature row as of the close of candle `i`, or `None` when the window is short or has a gap.
pub fn row(s: &Series, i: usize) -> Option<Vec<f64>> {
    if !s.has_history(i, WARMUP - 1) {
        return None;
    }
    let c = &s.close;
    let lr = |a: usize, b: usize| (c[a] / c[b]).ln();
    let rets = |n: usize| (i + 1 - n..=i).map(|k| lr(k, k - 1));
    let vol_16 = std_dev(rets(16));
    let vol_64 = std_dev(rets(64));
    let range = |k: usize| (s.high[k] / s.low[k]).ln();
    let span = s.high[i] - s.low[i];
    let close_loc = if span > 0.0 { (c[i] - s.low[i]) / span } else { 0.5 };
    let lv = |k: usize| (1.0 + s.volume[k]).ln();
    let (vm, vs) = mean_std((i - 32..i).map(lv));
    let volume_z = if vs > 0.0 { (lv(i) - vm) / vs } else { 0.0 };
    let hi = (i - 63..=i).map(|k| s.high[k]).fold(f64::MIN, f64::max);
    let lo = (i - 63..=i).map(|k| s.low[k]).fold(f64::MAX, f64::min);
    let out = vec![
        lr(i, i - 1),
        lr(i, i - 4),
        lr(i, i - 16),
        lr(i, i - 64),
        vol_16,
        vol_64,
        if vol_64 > 0.0 { vol_16 / vol_64 } else { 1.0 },
        range(i),
        (i - 15..=i).map(range).sum::<f64>() / 16.0,
        close_loc,
        volume_z,
        (c[i] / hi).ln(),
        (c[i] / lo).ln(),
    ];
    out.iter().all(|v| v.is_finite()).then_some(out)
}

/// Mean and population standard deviation.
pub fn mean_std(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values.collect();
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

fn std_dev(values: impl Iterator<Item = f64>) -> f64 {
    mean_std(values).1
}

/// Index of the volatility feature the regime label and triple barriers use.
pub const VOL_FEATURE: &str = "vol_64";

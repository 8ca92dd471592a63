//! The data-quality gate: six measures per series (completeness, accuracy, consistency,
//! timeliness, validity, uniqueness) and the verdict that decides whether a series may be
//! traded. Gaps are reported, never filled: Kraken omits intervals without trades.

use crate::candle::CandleRow;
use crate::interval::Interval;
use crate::resample::resample_complete;
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How many example rows each finding keeps (counts are always complete).
pub const MAX_EXAMPLES: usize = 20;

/// A run of missing intervals between two present candles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Open time of the first missing interval (RFC 3339).
    pub from: String,
    /// Open time of the last missing interval (RFC 3339).
    pub to: String,
    /// Number of missing intervals.
    pub missing: i64,
}

/// Completeness: intervals between first and last that have no candle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completeness {
    /// Intervals from the first to the last candle, inclusive.
    pub expected: i64,
    /// Candles present.
    pub present: i64,
    /// Intervals absent (no trades on Kraken, or data missing).
    pub missing: i64,
    /// `present / expected`.
    pub ratio: f64,
    /// Number of gap runs.
    pub gap_count: usize,
    /// Longest gap in intervals.
    pub longest_gap: i64,
    /// Every gap run, oldest first.
    pub gaps: Vec<Gap>,
}

/// A row that broke a rule, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Open time of the row (RFC 3339, or the raw seconds when out of range).
    pub time: String,
    /// What is wrong.
    pub reason: String,
}

/// Count plus the first few examples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    /// How many rows broke the rule.
    pub count: usize,
    /// The first [`MAX_EXAMPLES`] of them.
    pub examples: Vec<Finding>,
}

impl Findings {
    fn push(&mut self, time: i64, reason: String) {
        self.count += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(Finding { time: fmt_time(time), reason });
        }
    }
}

/// Accuracy: OHLC consistency and non-negative volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Rows where low ≤ open/close ≤ high fails.
    pub ohlc_violations: Findings,
    /// Rows with negative volume or trade count.
    pub negative_volume: Findings,
}

/// Validity: positive prices and times on the interval grid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// Rows with a zero or negative price.
    pub non_positive_prices: Findings,
    /// Rows whose open time is not aligned to the interval.
    pub misaligned_times: Findings,
}

/// Uniqueness and order of timestamps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uniqueness {
    /// Rows repeating an earlier timestamp.
    pub duplicate_times: Findings,
    /// Rows older than the row before them.
    pub out_of_order: Findings,
}

/// Timeliness: how old the last closed candle is at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeliness {
    /// The instant the age is measured at, when known.
    pub now: Option<String>,
    /// Close time of the last candle.
    pub last_close: Option<String>,
    /// Seconds from the last close to `now`.
    pub age_secs: Option<i64>,
    /// The age above which the series counts as stale.
    pub max_age_secs: i64,
    /// `age_secs > max_age_secs`.
    pub stale: bool,
}

/// Consistency: a coarser stored series equals the finer one resampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consistency {
    /// The finer interval that was resampled.
    pub from: Interval,
    /// The coarser interval it was compared with.
    pub to: Interval,
    /// Coarse candles with fine data in the same window (compared).
    pub compared: usize,
    /// Of those, identical in open, high, low, close, volume and trades.
    pub matched: usize,
    /// Of those, different in open, high, low or close: the sources disagree on prices.
    pub price_mismatches: Findings,
    /// Of those, same prices but different volume or trade count beyond float noise (seen
    /// between Kraken dump vintages of the same period).
    pub volume_mismatches: Findings,
    /// Coarse candles without a complete resampled window to compare with (other coverage).
    pub coarse_only: usize,
    /// Resampled candles for which the coarse series has no candle.
    pub fine_only: usize,
    /// Coarse windows at the edges of the fine data, only partly covered (not compared).
    pub edge_windows_skipped: usize,
    /// Matches whose volumes agree only up to floating-point summation noise (relative
    /// 1e-12): Kraken sums its coarse volumes in binary floating point (1390.8993267298 for
    /// an exact 1390.89932673).
    pub volume_float_noise: usize,
}

/// Whether a series may be traded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "reasons")]
pub enum Verdict {
    /// Every measure is clean.
    Pass,
    /// Usable, with remarks (gaps from no-trade intervals).
    Warn(Vec<String>),
    /// Blocked from trading, with the reasons.
    Fail(Vec<String>),
}

/// The gate's report for one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Pair (wsname).
    pub pair: String,
    /// Interval.
    pub interval: Interval,
    /// Rows examined.
    pub rows: usize,
    /// First open time.
    pub first: Option<String>,
    /// Last open time.
    pub last: Option<String>,
    /// Missing intervals.
    pub completeness: Completeness,
    /// OHLC and volume sanity.
    pub accuracy: Accuracy,
    /// Resampling agreement with coarser series of the same pair.
    pub consistency: Vec<Consistency>,
    /// Age of the last candle.
    pub timeliness: Timeliness,
    /// Positive prices, aligned times.
    pub validity: Validity,
    /// Duplicates and order.
    pub uniqueness: Uniqueness,
    /// The verdict.
    pub verdict: Verdict,
}

/// Whether staleness blocks trading (live/production) or is only reported (research).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateMode {
    /// Historical work: stale data is expected, reported but not blocking.
    Research,
    /// Trading: a stale series is blocked.
    Production,
}

fn fmt_time(secs: i64) -> String {
    Timestamp::from_secs(secs).map(|t| t.to_rfc3339()).unwrap_or_else(|_| secs.to_string())
}

fn check_row(r: &CandleRow, interval: Interval, acc: &mut Accuracy, val: &mut Validity) {
    let prices = [r.open, r.high, r.low, r.close];
    if prices.iter().any(|p| *p <= Decimal::ZERO) {
        val.non_positive_prices.push(r.time, format!("prices o={} h={} l={} c={}", r.open, r.high, r.low, r.close));
    }
    if interval.floor_secs(r.time) != r.time {
        val.misaligned_times.push(r.time, format!("not on the {interval} grid"));
    }
    if !r.ohlc_consistent() {
        acc.ohlc_violations.push(r.time, format!("o={} h={} l={} c={}", r.open, r.high, r.low, r.close));
    }
    if r.volume < Decimal::ZERO || r.trades < 0 {
        acc.negative_volume.push(r.time, format!("volume={} trades={}", r.volume, r.trades));
    }
}

fn completeness(sorted_unique: &[i64], interval: Interval) -> Completeness {
    let step = interval.secs();
    let mut gaps = Vec::new();
    let (mut missing, mut longest) = (0i64, 0i64);
    for w in sorted_unique.windows(2) {
        let absent = (w[1] - w[0]) / step - 1;
        if absent > 0 {
            missing += absent;
            longest = longest.max(absent);
            gaps.push(Gap { from: fmt_time(w[0] + step), to: fmt_time(w[1] - step), missing: absent });
        }
    }
    let present = sorted_unique.len() as i64;
    let expected = present + missing;
    let ratio = if expected == 0 { 1.0 } else { present as f64 / expected as f64 };
    Completeness { expected, present, missing, ratio, gap_count: gaps.len(), longest_gap: longest, gaps }
}

fn timeliness(last_open: Option<i64>, interval: Interval, now: Option<Timestamp>) -> Timeliness {
    let max_age_secs = 2 * interval.secs();
    let last_close = last_open.map(|t| t + interval.secs());
    let age_secs = now.zip(last_close).map(|(n, c)| n.as_secs() - c);
    Timeliness {
        now: now.map(|n| n.to_rfc3339()),
        last_close: last_close.map(fmt_time),
        age_secs,
        max_age_secs,
        stale: age_secs.is_some_and(|a| a > max_age_secs),
    }
}

/// Assesses one series given in stored/file order. `now` is the shell's clock (None in
/// backtests); `mode` decides whether staleness blocks.
pub fn assess(
    pair: &str,
    interval: Interval,
    rows: &[CandleRow],
    now: Option<Timestamp>,
    mode: GateMode,
) -> QualityReport {
    let (mut accuracy, mut validity, mut uniqueness) =
        (Accuracy::default(), Validity::default(), Uniqueness::default());
    let mut prev: Option<i64> = None;
    for r in rows {
        check_row(r, interval, &mut accuracy, &mut validity);
        match prev {
            Some(p) if r.time == p => uniqueness.duplicate_times.push(r.time, "repeats the previous timestamp".into()),
            Some(p) if r.time < p => {
                uniqueness.out_of_order.push(r.time, format!("older than previous {}", fmt_time(p)))
            }
            _ => {}
        }
        prev = Some(prev.map_or(r.time, |p| p.max(r.time)));
    }
    let mut times: Vec<i64> = rows.iter().map(|r| r.time).collect();
    times.sort_unstable();
    times.dedup();
    let mut report = QualityReport {
        pair: pair.to_string(),
        interval,
        rows: rows.len(),
        first: times.first().map(|t| fmt_time(*t)),
        last: times.last().map(|t| fmt_time(*t)),
        completeness: completeness(&times, interval),
        accuracy,
        consistency: Vec::new(),
        timeliness: timeliness(times.last().copied(), interval, now),
        validity,
        uniqueness,
        verdict: Verdict::Pass,
    };
    report.verdict = report.judge(mode);
    report
}

impl QualityReport {
    /// Adds a consistency comparison and re-judges.
    pub fn add_consistency(&mut self, c: Consistency, mode: GateMode) {
        self.consistency.push(c);
        self.verdict = self.judge(mode);
    }

    /// The reasons that block trading, empty when none.
    pub fn blocking_reasons(&self, mode: GateMode) -> Vec<String> {
        let mut r = Vec::new();
        let mut add = |n: usize, what: &str| {
            if n > 0 {
                r.push(format!("{n} {what}"));
            }
        };
        add(self.accuracy.ohlc_violations.count, "OHLC violations");
        add(self.accuracy.negative_volume.count, "rows with negative volume");
        add(self.validity.non_positive_prices.count, "rows with non-positive prices");
        add(self.validity.misaligned_times.count, "misaligned timestamps");
        add(self.uniqueness.duplicate_times.count, "duplicate timestamps");
        add(self.uniqueness.out_of_order.count, "out-of-order rows");
        for c in &self.consistency {
            add(c.price_mismatches.count, &format!("{}→{} resampling price mismatches", c.from, c.to));
        }
        if self.rows == 0 {
            r.push("no data".into());
        }
        if mode == GateMode::Production && self.timeliness.stale {
            r.push(format!(
                "stale: last candle closed {}s ago (max {}s)",
                self.timeliness.age_secs.unwrap_or(0),
                self.timeliness.max_age_secs
            ));
        }
        r
    }

    fn judge(&self, mode: GateMode) -> Verdict {
        let blocking = self.blocking_reasons(mode);
        if !blocking.is_empty() {
            return Verdict::Fail(blocking);
        }
        let mut remarks = Vec::new();
        let c = &self.completeness;
        if c.missing > 0 {
            remarks.push(format!(
                "{} missing intervals in {} gaps (longest {}); Kraken omits intervals without trades, nothing was filled",
                c.missing, c.gap_count, c.longest_gap
            ));
        }
        for k in self.consistency.iter().filter(|k| k.volume_mismatches.count > 0) {
            remarks.push(format!(
                "{}→{}: {} windows with equal prices but different volume/trade count (sources disagree)",
                k.from, k.to, k.volume_mismatches.count
            ));
        }
        if remarks.is_empty() { Verdict::Pass } else { Verdict::Warn(remarks) }
    }

    /// True when the gate lets the series be traded.
    pub fn is_tradable(&self) -> bool {
        !matches!(self.verdict, Verdict::Fail(_))
    }
}

/// Compares a coarser series with the finer one resampled, bucket by bucket.
pub fn consistency(fine: &[CandleRow], from: Interval, coarse: &[CandleRow], to: Interval) -> Option<Consistency> {
    let (built, edge_windows_skipped) = resample_complete(fine, from, to).ok()?;
    let mut result = Consistency {
        from,
        to,
        compared: 0,
        matched: 0,
        price_mismatches: Findings::default(),
        volume_mismatches: Findings::default(),
        coarse_only: 0,
        fine_only: 0,
        edge_windows_skipped,
        volume_float_noise: 0,
    };
    let (mut i, mut j) = (0, 0);
    while i < built.len() || j < coarse.len() {
        match (built.get(i), coarse.get(j)) {
            (Some(b), Some(c)) if b.time == c.time => {
                result.compared += 1;
                if same_values(b, c, false) {
                    result.matched += 1;
                } else if same_values(b, c, true) {
                    result.matched += 1;
                    result.volume_float_noise += 1;
                } else {
                    let prices_equal = b.open == c.open && b.high == c.high && b.low == c.low && b.close == c.close;
                    let found = if prices_equal { &mut result.volume_mismatches } else { &mut result.price_mismatches };
                    found.push(c.time, describe_mismatch(b, c));
                }
                i += 1;
                j += 1;
            }
            (Some(b), Some(c)) if b.time < c.time => {
                result.fine_only += 1;
                i += 1;
            }
            (Some(_), None) => {
                result.fine_only += 1;
                i += 1;
            }
            _ => {
                result.coarse_only += 1;
                j += 1;
            }
        }
    }
    Some(result)
}

/// Relative difference below which two volumes are the same number summed in a different
/// order in binary floating point (f64 keeps ~16 digits; a day of candles loses a few).
fn float_noise_equal(a: Decimal, b: Decimal) -> bool {
    let scale = a.abs().max(b.abs());
    (a - b).abs() <= scale * Decimal::new(1, 12)
}

fn same_values(a: &CandleRow, b: &CandleRow, tolerate_float_noise: bool) -> bool {
    let volume_eq = a.volume == b.volume || (tolerate_float_noise && float_noise_equal(a.volume, b.volume));
    a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close && volume_eq && a.trades == b.trades
}

fn describe_mismatch(built: &CandleRow, stored: &CandleRow) -> String {
    let mut parts = Vec::new();
    let mut cmp = |name: &str, x: String, y: String| {
        if x != y {
            parts.push(format!("{name} resampled {x} vs stored {y}"));
        }
    };
    cmp("open", built.open.normalize().to_string(), stored.open.normalize().to_string());
    cmp("high", built.high.normalize().to_string(), stored.high.normalize().to_string());
    cmp("low", built.low.normalize().to_string(), stored.low.normalize().to_string());
    cmp("close", built.close.normalize().to_string(), stored.close.normalize().to_string());
    cmp("volume", built.volume.normalize().to_string(), stored.volume.normalize().to_string());
    cmp("trades", built.trades.to_string(), stored.trades.to_string());
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn row(time: i64, low: Decimal) -> CandleRow {
        CandleRow { time, open: dec!(10), high: dec!(11), low, close: dec!(10), volume: dec!(1), trades: 1 }
    }

    #[test]
    fn reports_gaps_without_filling_them() {
        let rows = [row(0, dec!(9)), row(3600, dec!(9)), row(4 * 3600, dec!(9))];
        let r = assess("XBT/USD", Interval::H1, &rows, None, GateMode::Research);
        assert_eq!(r.completeness.missing, 2);
        assert_eq!(r.completeness.gaps, vec![Gap { from: fmt_time(7200), to: fmt_time(10800), missing: 2 }]);
        assert!(matches!(r.verdict, Verdict::Warn(_)));
        assert!(r.is_tradable());
    }

    #[test]
    fn fails_on_ohlc_violation_duplicate_and_disorder() {
        let rows = [row(3600, dec!(12)), row(3600, dec!(9)), row(0, dec!(9))];
        let r = assess("XBT/USD", Interval::H1, &rows, None, GateMode::Research);
        assert_eq!(r.accuracy.ohlc_violations.count, 1);
        assert_eq!(r.uniqueness.duplicate_times.count, 1);
        assert_eq!(r.uniqueness.out_of_order.count, 1);
        assert!(!r.is_tradable());
    }

    #[test]
    fn stale_series_blocks_only_in_production() {
        let rows = [row(0, dec!(9))];
        let now = Timestamp::from_secs(10 * 3600).ok();
        assert!(assess("XBT/USD", Interval::H1, &rows, now, GateMode::Research).is_tradable());
        let prod = assess("XBT/USD", Interval::H1, &rows, now, GateMode::Production);
        assert!(prod.timeliness.stale);
        assert!(!prod.is_tradable());
    }
}

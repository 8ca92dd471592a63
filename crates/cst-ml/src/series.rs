//! Candles of one pair as f64 columns, with the contiguous runs between gaps known, so no feature
//! window and no label ever spans a missing candle.

use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use rust_decimal::prelude::ToPrimitive;

/// One pair's candles as columns (open times in seconds, ascending).
#[derive(Debug, Clone)]
pub struct Series {
    /// Canonical pair name (`XBT/USD`).
    pub pair: String,
    /// Candle length in seconds.
    pub interval_secs: i64,
    /// Candle open times, seconds UTC.
    pub open_time: Vec<i64>,
    /// Open prices.
    pub open: Vec<f64>,
    /// High prices.
    pub high: Vec<f64>,
    /// Low prices.
    pub low: Vec<f64>,
    /// Close prices.
    pub close: Vec<f64>,
    /// Base volume.
    pub volume: Vec<f64>,
    /// Index of the first candle of the gap-free run each candle belongs to.
    pub run_start: Vec<usize>,
    /// Index of the last candle of the gap-free run each candle belongs to.
    pub run_end: Vec<usize>,
    /// Number of gaps (missing stretches) found.
    pub gaps: usize,
}

impl Series {
    /// Builds the columns; rows must be ascending and unique (the store and the quality gate ensure it).
    /// A step other than one interval starts a new run and counts as a gap.
    pub fn from_rows(pair: &str, interval: Interval, rows: &[CandleRow]) -> Self {
        let f = |d: &rust_decimal::Decimal| d.to_f64().unwrap_or(f64::NAN);
        let step = interval.secs();
        let n = rows.len();
        let mut run_start = vec![0; n];
        let mut gaps = 0;
        for i in 1..n {
            let contiguous = rows[i].time - rows[i - 1].time == step;
            if !contiguous {
                gaps += 1;
            }
            run_start[i] = if contiguous { run_start[i - 1] } else { i };
        }
        let mut run_end = vec![n.saturating_sub(1); n];
        for i in (0..n.saturating_sub(1)).rev() {
            run_end[i] = if run_start[i + 1] == run_start[i] { run_end[i + 1] } else { i };
        }
        Self {
            pair: pair.to_string(),
            interval_secs: step,
            open_time: rows.iter().map(|r| r.time).collect(),
            open: rows.iter().map(|r| f(&r.open)).collect(),
            high: rows.iter().map(|r| f(&r.high)).collect(),
            low: rows.iter().map(|r| f(&r.low)).collect(),
            close: rows.iter().map(|r| f(&r.close)).collect(),
            volume: rows.iter().map(|r| f(&r.volume)).collect(),
            run_start,
            run_end,
            gaps,
        }
    }

    /// Number of candles.
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// True when there are no candles.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// Close time (seconds) of candle `i`: the moment its features become known.
    pub fn close_time(&self, i: usize) -> i64 {
        self.open_time[i] + self.interval_secs
    }

    /// True when candles `i - back ..= i` exist without a gap.
    pub fn has_history(&self, i: usize, back: usize) -> bool {
        i >= back && self.run_start[i] <= i - back
    }

    /// True when candles `i ..= i + ahead` exist without a gap.
    pub fn has_future(&self, i: usize, ahead: usize) -> bool {
        self.run_end[i] >= i + ahead
    }
}

/// Parses Kraken OHLCVT CSV text (with or without header) into raw rows; a bad line is an error
/// naming its line number, never skipped silently.
pub fn parse_ohlcvt(text: &str) -> Result<Vec<CandleRow>, String> {
    use cst_core::ohlcvt::Layout;
    let mut layout = Layout::default();
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if n == 0
            && let Some(l) = Layout::from_header(line).map_err(|e| format!("line 1: {e}"))?
        {
            layout = l;
            continue;
        }
        rows.push(layout.parse_line(line).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    Ok(rows)
}

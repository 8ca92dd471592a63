//! Batch inputs and outputs: candle columns in, one value column per indicator output out.

use super::IndicatorError;
use super::stream::Bar;
use crate::candle::CandleRow;
use rust_decimal::prelude::ToPrimitive;
use ta_lib::{OutRange, RetCode};

/// Candles as columns (the layout TA-Lib computes on); all columns have the same length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ohlcv {
    /// Open time of each candle, unix seconds.
    pub time: Vec<i64>,
    /// Opening prices.
    pub open: Vec<f64>,
    /// Highest prices.
    pub high: Vec<f64>,
    /// Lowest prices.
    pub low: Vec<f64>,
    /// Closing prices.
    pub close: Vec<f64>,
    /// Volumes.
    pub volume: Vec<f64>,
}

impl Ohlcv {
    /// Empty columns with room for `n` candles.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            time: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: Vec::with_capacity(n),
        }
    }

    /// Columns of the given rows, in the given order (decimals read as the nearest f64).
    pub fn from_rows(rows: &[CandleRow]) -> Self {
        let mut c = Self::with_capacity(rows.len());
        for r in rows {
            c.push(r.time, bar_of(r));
        }
        c
    }

    /// Appends one candle.
    pub fn push(&mut self, time: i64, bar: Bar) {
        self.time.push(time);
        self.open.push(bar.open);
        self.high.push(bar.high);
        self.low.push(bar.low);
        self.close.push(bar.close);
        self.volume.push(bar.volume);
    }

    /// Number of candles.
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// True when there are no candles.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// The candle at `row` as a [`Bar`].
    pub fn bar(&self, row: usize) -> Bar {
        Bar {
            open: self.open[row],
            high: self.high[row],
            low: self.low[row],
            close: self.close[row],
            volume: self.volume[row],
        }
    }
}

/// A raw row's prices as f64. Going through the decimal's text keeps the conversion correctly
/// rounded, so the values equal what TA-Lib's callers parse from the same CSV.
pub fn bar_of(r: &CandleRow) -> Bar {
    let f = |d: &rust_decimal::Decimal| d.to_string().parse::<f64>().unwrap_or_else(|_| d.to_f64().unwrap_or(f64::NAN));
    Bar { open: f(&r.open), high: f(&r.high), low: f(&r.low), close: f(&r.close), volume: f(&r.volume) }
}

/// One indicator output over a batch of rows: no value for the first `start` rows (warm-up).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    rows: usize,
    start: usize,
    values: Vec<f64>,
}

impl Column {
    /// A column from values that begin at row `start` of `rows` input rows.
    pub fn new(rows: usize, start: usize, values: Vec<f64>) -> Self {
        debug_assert_eq!(start + values.len(), rows);
        Self { rows, start, values }
    }

    /// Number of input rows the column is aligned with.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// First row that has a value (the warm-up length) when the input was long enough.
    pub fn start(&self) -> usize {
        self.start
    }

    /// The value at `row`, or `None` during warm-up, past the end, or if it is not finite.
    #[inline]
    pub fn get(&self, row: usize) -> Option<f64> {
        let v = *self.values.get(row.checked_sub(self.start)?)?;
        v.is_finite().then_some(v)
    }

    /// Every row's value, aligned with the input.
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        (0..self.rows).map(|r| self.get(r))
    }
}

impl Default for Column {
    fn default() -> Self {
        Self::new(0, 0, Vec::new())
    }
}

/// Runs a one-output engine call into an existing column, reusing its memory (no allocation
/// once the column has held as many rows).
pub(crate) fn run1_into(
    rows: usize,
    lookback: usize,
    column: &mut Column,
    call: impl FnOnce(usize, &mut [f64]) -> Result<OutRange, RetCode>,
) -> Result<(), IndicatorError> {
    let start = lookback.min(rows);
    column.values.resize(rows - start, 0.0);
    column.rows = rows;
    column.start = start;
    if rows <= lookback {
        return Ok(());
    }
    let range = call(rows - 1, &mut column.values)?;
    if range.beg_idx != lookback || range.beg_idx + range.count != rows {
        column.values.clear();
        column.start = rows;
        return Err(IndicatorError::Engine(RetCode::InternalError));
    }
    Ok(())
}

/// Runs a one-output engine call over `rows` inputs with the given lookback.
pub(crate) fn run1(
    rows: usize,
    lookback: usize,
    call: impl FnOnce(usize, &mut [f64]) -> Result<OutRange, RetCode>,
) -> Result<Column, IndicatorError> {
    let [c] = run_n(rows, lookback, |end, [a]| call(end, a))?;
    Ok(c)
}

/// Runs an engine call with `N` outputs over `rows` inputs with the given lookback.
pub(crate) fn run_n<const N: usize>(
    rows: usize,
    lookback: usize,
    call: impl FnOnce(usize, [&mut [f64]; N]) -> Result<OutRange, RetCode>,
) -> Result<[Column; N], IndicatorError> {
    if rows <= lookback {
        return Ok(std::array::from_fn(|_| Column::new(rows, rows, Vec::new())));
    }
    let mut outs: [Vec<f64>; N] = std::array::from_fn(|_| vec![0.0; rows - lookback]);
    let range = {
        let mut iter = outs.iter_mut();
        let slices: [&mut [f64]; N] =
            std::array::from_fn(|_| iter.next().map(|v| v.as_mut_slice()).unwrap_or_default());
        call(rows - 1, slices)?
    };
    if range.beg_idx != lookback || range.beg_idx + range.count != rows {
        return Err(IndicatorError::Engine(RetCode::InternalError));
    }
    Ok(outs.map(|v| Column::new(rows, lookback, v)))
}

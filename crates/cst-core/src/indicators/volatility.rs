//! Volatility: STDDEV, Bollinger Bands, ATR, NATR (TA-Lib) and realized volatility, z-score (ours).

use super::column::{run_n, run1};
use super::window::Window;
use super::{Bands, Column, IndicatorError, Spec, Streaming, period_i32};
use ta_lib::{Core, MAType, RetCode};

hlc_period!(
    /// Average true range, Wilder-smoothed and seeded by a simple mean.
    Atr, AtrSpec, AtrStream, atr_lookback, atr_open, atr
);
hlc_period!(
    /// ATR as a percentage of the close.
    Natr, NatrSpec, NatrStream, natr_lookback, natr_open, natr
);

/// Parameters of [`StdDev`].
#[derive(Debug, Clone, Copy)]
pub struct StdDevSpec {
    period: i32,
    devs: f64,
}

impl Spec for StdDevSpec {
    type In = f64;
    type Out = f64;
    type Stream = ta_lib::StddevStream;
    fn open(&self, history: &[f64]) -> Result<(Self::Stream, f64), RetCode> {
        Core::new().stddev_open(history, self.period, self.devs)
    }
    #[inline]
    fn step(stream: &mut Self::Stream, x: f64) -> Result<f64, RetCode> {
        stream.update(x)
    }
}

/// Population standard deviation over `period` values, times `devs` (TA-Lib's STDDEV).
pub type StdDev = Streaming<StdDevSpec>;

impl StdDev {
    fn spec(period: usize, devs: f64) -> Result<(StdDevSpec, usize), IndicatorError> {
        let s = StdDevSpec { period: period_i32("period", period)?, devs };
        Ok((s, Core::new().stddev_lookback(s.period, devs)?))
    }

    /// A stream over `period` values scaled by `devs` (1.0 for the plain deviation).
    pub fn new(period: usize, devs: f64) -> Result<Self, IndicatorError> {
        let (spec, lookback) = Self::spec(period, devs)?;
        Ok(Self::from_spec(spec, lookback))
    }

    /// The deviation over a whole series.
    pub fn batch(period: usize, devs: f64, input: &[f64]) -> Result<Column, IndicatorError> {
        let (s, lookback) = Self::spec(period, devs)?;
        let core = Core::new();
        run1(input.len(), lookback, |end, out| core.stddev(0, end, input, s.period, s.devs, out))
    }
}

/// Parameters of [`Bbands`].
#[derive(Debug, Clone, Copy)]
pub struct BbandsSpec {
    period: i32,
    dev_up: f64,
    dev_down: f64,
}

impl Spec for BbandsSpec {
    type In = f64;
    type Out = Bands;
    type Stream = ta_lib::BbandsStream;
    fn open(&self, history: &[f64]) -> Result<(Self::Stream, Bands), RetCode> {
        let (s, (upper, middle, lower)) =
            Core::new().bbands_open(history, self.period, self.dev_up, self.dev_down, MAType::SMA)?;
        Ok((s, Bands { upper, middle, lower }))
    }
    #[inline]
    fn step(stream: &mut Self::Stream, x: f64) -> Result<Bands, RetCode> {
        let (upper, middle, lower) = stream.update(x)?;
        Ok(Bands { upper, middle, lower })
    }
}

/// Bollinger Bands: SMA(`period`) ± devs × population standard deviation.
pub type Bbands = Streaming<BbandsSpec>;

impl Bbands {
    fn spec(period: usize, dev_up: f64, dev_down: f64) -> Result<(BbandsSpec, usize), IndicatorError> {
        let s = BbandsSpec { period: period_i32("period", period)?, dev_up, dev_down };
        Ok((s, Core::new().bbands_lookback(s.period, dev_up, dev_down, MAType::SMA)?))
    }

    /// A stream over `period` values with the upper and lower deviation multipliers.
    pub fn new(period: usize, dev_up: f64, dev_down: f64) -> Result<Self, IndicatorError> {
        let (spec, lookback) = Self::spec(period, dev_up, dev_down)?;
        Ok(Self::from_spec(spec, lookback))
    }

    /// Upper, middle and lower band over a whole series.
    pub fn batch(period: usize, dev_up: f64, dev_down: f64, input: &[f64]) -> Result<[Column; 3], IndicatorError> {
        let (s, lookback) = Self::spec(period, dev_up, dev_down)?;
        let core = Core::new();
        run_n(input.len(), lookback, |end, [u, m, l]| {
            core.bbands(0, end, input, s.period, s.dev_up, s.dev_down, MAType::SMA, u, m, l)
        })
    }
}

/// Realized volatility: the square root of the sum of squared log returns of the last `period`
/// closes-to-closes (not annualised). Warm-up: `period` closes before the first value.
#[derive(Debug, Clone)]
pub struct RealizedVol {
    squares: Window,
    prev: Option<f64>,
}

impl RealizedVol {
    /// A stream over `period` returns (at least 1).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        if period == 0 {
            return Err(IndicatorError::BadParam("realized volatility period must be at least 1".into()));
        }
        Ok(Self { squares: Window::new(period), prev: None })
    }

    /// Closes consumed before the first value.
    pub fn lookback(&self) -> usize {
        self.squares.len()
    }

    /// Feeds one close; non-finite or non-positive closes are refused (state untouched, `None`).
    pub fn update(&mut self, close: f64) -> Option<f64> {
        if !(close.is_finite() && close > 0.0) {
            return None;
        }
        let prev = self.prev.replace(close)?;
        let r = (close / prev).ln();
        self.squares.push(r * r);
        self.squares.is_full().then(|| self.squares.sum().max(0.0).sqrt())
    }

    /// Forgets everything seen so far.
    pub fn reset(&mut self) {
        *self = Self { squares: Window::new(self.squares.len()), prev: None };
    }

    /// The indicator over a whole series, aligned with it.
    pub fn batch(period: usize, closes: &[f64]) -> Result<Column, IndicatorError> {
        let mut s = Self::new(period)?;
        Ok(column_of(closes.len(), period, closes.iter().map(|c| s.update(*c))))
    }
}

/// Z-score of the latest value against the last `period` values (population standard
/// deviation, the latest value included): (x − mean) / std; `None` while the window is flat.
/// The deviation is taken in two passes over the window (O(period) per update, exact enough at
/// any price level, and exactly zero on a flat window where running sums would leave residue).
#[derive(Debug, Clone)]
pub struct ZScore {
    window: Window,
}

impl ZScore {
    /// A stream over `period` values (at least 2).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        if period < 2 {
            return Err(IndicatorError::BadParam("z-score period must be at least 2".into()));
        }
        Ok(Self { window: Window::new(period) })
    }

    /// Values consumed before the first value.
    pub fn lookback(&self) -> usize {
        self.window.len() - 1
    }

    /// Feeds one value; non-finite values are refused (state untouched, `None`).
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return None;
        }
        self.window.push(x);
        if !self.window.is_full() {
            return None;
        }
        let n = self.window.len() as f64;
        let mean = self.window.sum() / n;
        let var = self.window.raw().iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let std = var.sqrt();
        (std > f64::EPSILON * mean.abs()).then(|| (x - mean) / std)
    }

    /// Forgets everything seen so far.
    pub fn reset(&mut self) {
        self.window = Window::new(self.window.len());
    }

    /// The indicator over a whole series, aligned with it.
    pub fn batch(period: usize, input: &[f64]) -> Result<Column, IndicatorError> {
        let mut s = Self::new(period)?;
        let lookback = s.lookback();
        Ok(column_of(input.len(), lookback, input.iter().map(|x| s.update(*x))))
    }
}

/// Collects a stream's answers into a column whose warm-up is `lookback` rows; later gaps
/// (refused inputs, flat windows) are kept as non-finite cells that read as `None`.
pub(crate) fn column_of(rows: usize, lookback: usize, values: impl Iterator<Item = Option<f64>>) -> Column {
    let start = lookback.min(rows);
    let values: Vec<f64> = values.skip(start).map(|v| v.unwrap_or(f64::NAN)).collect();
    Column::new(rows, start, values)
}

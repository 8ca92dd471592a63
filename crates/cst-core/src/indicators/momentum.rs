//! Momentum oscillators: RSI, MACD, ROC, MOM, TRIX, Stochastic, Williams %R, CCI, Ultimate
//! Oscillator, Aroon.

use super::column::{run_n, run1};
use super::stream::columns;
use super::{Bar, Column, IndicatorError, MacdValue, Ohlcv, Spec, Streaming, period_i32};
use ta_lib::{Core, MAType, RetCode};

real_period!(
    /// Relative strength index with Wilder smoothing seeded by a simple mean.
    Rsi, RsiSpec, RsiStream, rsi_lookback, rsi_open, rsi
);
real_period!(
    /// Rate of change in percent: 100 · (value / value `period` bars ago − 1).
    Roc, RocSpec, RocStream, roc_lookback, roc_open, roc
);
real_period!(
    /// Momentum: value minus the value `period` bars ago.
    Mom, MomSpec, MomStream, mom_lookback, mom_open, mom
);
real_period!(
    /// TRIX: one-bar rate of change (percent) of a triple EMA.
    Trix, TrixSpec, TrixStream, trix_lookback, trix_open, trix
);
hlc_period!(
    /// Williams %R over `period` bars (−100..=0).
    WillR, WillRSpec, WillrStream, willr_lookback, willr_open, willr
);
hlc_period!(
    /// Commodity channel index of the typical price over `period` bars.
    Cci, CciSpec, CciStream, cci_lookback, cci_open, cci
);

/// Parameters of [`Macd`].
#[derive(Debug, Clone, Copy)]
pub struct MacdSpec {
    fast: i32,
    slow: i32,
    signal: i32,
}

impl Spec for MacdSpec {
    type In = f64;
    type Out = MacdValue;
    type Stream = ta_lib::MacdStream;
    fn open(&self, history: &[f64]) -> Result<(Self::Stream, MacdValue), RetCode> {
        let (s, (macd, signal, hist)) = Core::new().macd_open(history, self.fast, self.slow, self.signal)?;
        Ok((s, MacdValue { macd, signal, hist }))
    }
    #[inline]
    fn step(stream: &mut Self::Stream, x: f64) -> Result<MacdValue, RetCode> {
        let (macd, signal, hist) = stream.update(x)?;
        Ok(MacdValue { macd, signal, hist })
    }
}

/// MACD (fast EMA − slow EMA, its signal EMA, and the histogram), TA-Lib's seeding.
pub type Macd = Streaming<MacdSpec>;

impl Macd {
    fn spec(fast: usize, slow: usize, signal: usize) -> Result<(MacdSpec, usize), IndicatorError> {
        let s = MacdSpec {
            fast: period_i32("fast", fast)?,
            slow: period_i32("slow", slow)?,
            signal: period_i32("signal", signal)?,
        };
        Ok((s, Core::new().macd_lookback(s.fast, s.slow, s.signal)?))
    }

    /// A stream with the given fast, slow and signal periods (12, 26, 9 is the classic).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, IndicatorError> {
        let (spec, lookback) = Self::spec(fast, slow, signal)?;
        Ok(Self::from_spec(spec, lookback))
    }

    /// Line, signal and histogram over a whole series.
    pub fn batch(fast: usize, slow: usize, signal: usize, input: &[f64]) -> Result<[Column; 3], IndicatorError> {
        let (s, lookback) = Self::spec(fast, slow, signal)?;
        let core = Core::new();
        run_n(input.len(), lookback, |end, [m, sig, h]| core.macd(0, end, input, s.fast, s.slow, s.signal, m, sig, h))
    }
}

/// Parameters of [`Stoch`].
#[derive(Debug, Clone, Copy)]
pub struct StochSpec {
    fast_k: i32,
    slow_k: i32,
    slow_d: i32,
}

impl Spec for StochSpec {
    type In = Bar;
    type Out = (f64, f64);
    type Stream = ta_lib::StochStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, (f64, f64)), RetCode> {
        let c = columns(history);
        Core::new().stoch_open(
            &c.high,
            &c.low,
            &c.close,
            self.fast_k,
            self.slow_k,
            MAType::SMA,
            self.slow_d,
            MAType::SMA,
        )
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<(f64, f64), RetCode> {
        stream.update(b.high, b.low, b.close)
    }
}

/// Slow stochastic (%K, %D), both smoothed by SMAs; the value is `(k, d)`.
pub type Stoch = Streaming<StochSpec>;

impl Stoch {
    fn spec(fast_k: usize, slow_k: usize, slow_d: usize) -> Result<(StochSpec, usize), IndicatorError> {
        let s = StochSpec {
            fast_k: period_i32("fast_k", fast_k)?,
            slow_k: period_i32("slow_k", slow_k)?,
            slow_d: period_i32("slow_d", slow_d)?,
        };
        Ok((s, Core::new().stoch_lookback(s.fast_k, s.slow_k, MAType::SMA, s.slow_d, MAType::SMA)?))
    }

    /// A stream with the given %K window and smoothing periods (14, 3, 3 is the classic).
    pub fn new(fast_k: usize, slow_k: usize, slow_d: usize) -> Result<Self, IndicatorError> {
        let (spec, lookback) = Self::spec(fast_k, slow_k, slow_d)?;
        Ok(Self::from_spec(spec, lookback))
    }

    /// %K and %D over whole candle columns.
    pub fn batch(fast_k: usize, slow_k: usize, slow_d: usize, c: &Ohlcv) -> Result<[Column; 2], IndicatorError> {
        let (s, lookback) = Self::spec(fast_k, slow_k, slow_d)?;
        let core = Core::new();
        run_n(c.len(), lookback, |end, [k, d]| {
            core.stoch(0, end, &c.high, &c.low, &c.close, s.fast_k, s.slow_k, MAType::SMA, s.slow_d, MAType::SMA, k, d)
        })
    }
}

/// Parameters of [`UltOsc`].
#[derive(Debug, Clone, Copy)]
pub struct UltOscSpec {
    periods: [i32; 3],
}

impl Spec for UltOscSpec {
    type In = Bar;
    type Out = f64;
    type Stream = ta_lib::UltoscStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, f64), RetCode> {
        let c = columns(history);
        let [a, b, d] = self.periods;
        Core::new().ultosc_open(&c.high, &c.low, &c.close, a, b, d)
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<f64, RetCode> {
        stream.update(b.high, b.low, b.close)
    }
}

/// Ultimate Oscillator over three windows (7, 14, 28 is the classic).
pub type UltOsc = Streaming<UltOscSpec>;

impl UltOsc {
    fn spec(periods: [usize; 3]) -> Result<(UltOscSpec, usize), IndicatorError> {
        let mut p = [0; 3];
        for (dst, src) in p.iter_mut().zip(periods) {
            *dst = period_i32("period", src)?;
        }
        Ok((UltOscSpec { periods: p }, Core::new().ultosc_lookback(p[0], p[1], p[2])?))
    }

    /// A stream with the three windows, shortest first.
    pub fn new(periods: [usize; 3]) -> Result<Self, IndicatorError> {
        let (spec, lookback) = Self::spec(periods)?;
        Ok(Self::from_spec(spec, lookback))
    }

    /// The oscillator over whole candle columns.
    pub fn batch(periods: [usize; 3], c: &Ohlcv) -> Result<Column, IndicatorError> {
        let (s, lookback) = Self::spec(periods)?;
        let [a, b, d] = s.periods;
        let core = Core::new();
        run1(c.len(), lookback, |end, out| core.ultosc(0, end, &c.high, &c.low, &c.close, a, b, d, out))
    }
}

/// Parameters of [`Aroon`].
#[derive(Debug, Clone, Copy)]
pub struct AroonSpec {
    period: i32,
}

impl Spec for AroonSpec {
    type In = Bar;
    type Out = (f64, f64);
    type Stream = ta_lib::AroonStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, (f64, f64)), RetCode> {
        let c = columns(history);
        Core::new().aroon_open(&c.high, &c.low, self.period)
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<(f64, f64), RetCode> {
        stream.update(b.high, b.low)
    }
}

/// Aroon over `period` bars; the value is `(down, up)` as TA-Lib orders them.
pub type Aroon = Streaming<AroonSpec>;

impl Aroon {
    /// A stream with the given period.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let period = period_i32("period", period)?;
        let lookback = Core::new().aroon_lookback(period)?;
        Ok(Self::from_spec(AroonSpec { period }, lookback))
    }

    /// Aroon down and up over whole candle columns.
    pub fn batch(period: usize, c: &Ohlcv) -> Result<[Column; 2], IndicatorError> {
        let period = period_i32("period", period)?;
        let core = Core::new();
        let lookback = core.aroon_lookback(period)?;
        run_n(c.len(), lookback, |end, [down, up]| core.aroon(0, end, &c.high, &c.low, period, down, up))
    }
}

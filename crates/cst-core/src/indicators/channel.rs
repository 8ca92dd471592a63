//! Price channels: Donchian (highest high / lowest low) and Keltner (EMA of the typical price ±
//! a multiple of ATR), both computed by the engine.

use super::column::run_n;
use super::stream::columns;
use super::{Bands, Bar, Column, IndicatorError, Ohlcv, Spec, Streaming, period_i32};
use ta_lib::{Core, RetCode};

/// Parameters of [`Donchian`].
#[derive(Debug, Clone, Copy)]
pub struct DonchianSpec {
    period: i32,
}

impl Spec for DonchianSpec {
    type In = Bar;
    type Out = Bands;
    type Stream = ta_lib::DonchianStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, Bands), RetCode> {
        let c = columns(history);
        let (s, (upper, middle, lower)) = Core::new().donchian_open(&c.high, &c.low, self.period)?;
        Ok((s, Bands { upper, middle, lower }))
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<Bands, RetCode> {
        let (upper, middle, lower) = stream.update(b.high, b.low)?;
        Ok(Bands { upper, middle, lower })
    }
}

/// Donchian channel over the last `period` bars, the current one included: highest high, the
/// midpoint, lowest low.
pub type Donchian = Streaming<DonchianSpec>;

impl Donchian {
    /// A stream over `period` bars (at least 2).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let period = period_i32("period", period)?;
        let lookback = Core::new().donchian_lookback(period)?;
        Ok(Self::from_spec(DonchianSpec { period }, lookback))
    }

    /// Upper, middle and lower line over whole candle columns.
    pub fn batch(period: usize, c: &Ohlcv) -> Result<[Column; 3], IndicatorError> {
        let period = period_i32("period", period)?;
        let core = Core::new();
        let lookback = core.donchian_lookback(period)?;
        run_n(c.len(), lookback, |end, [u, m, l]| core.donchian(0, end, &c.high, &c.low, period, u, m, l))
    }
}

/// Parameters of [`Keltner`].
#[derive(Debug, Clone, Copy)]
pub struct KeltnerSpec {
    period: i32,
    atr_period: i32,
    multiplier: f64,
}

impl Spec for KeltnerSpec {
    type In = Bar;
    type Out = Bands;
    type Stream = ta_lib::KcStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, Bands), RetCode> {
        let c = columns(history);
        let (s, (upper, middle, lower)) =
            Core::new().kc_open(&c.high, &c.low, &c.close, self.period, self.atr_period, self.multiplier)?;
        Ok((s, Bands { upper, middle, lower }))
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<Bands, RetCode> {
        let (upper, middle, lower) = stream.update(b.high, b.low, b.close)?;
        Ok(Bands { upper, middle, lower })
    }
}

/// Keltner channel: EMA(`period`) of the typical price ± `multiplier` × ATR(`atr_period`). As in
/// the engine, the ATR is Wilder's, seeded on the `atr_period` bars that end at the first band bar
/// (bar `lookback`), so its values equal ATR computed on the series from bar
/// `lookback − atr_period` on.
pub type Keltner = Streaming<KeltnerSpec>;

impl Keltner {
    fn spec(period: usize, atr_period: usize, multiplier: f64) -> Result<(KeltnerSpec, usize), IndicatorError> {
        let s = KeltnerSpec {
            period: period_i32("period", period)?,
            atr_period: period_i32("atr_period", atr_period)?,
            multiplier,
        };
        Ok((s, Core::new().kc_lookback(s.period, s.atr_period, multiplier)?))
    }

    /// A stream with the EMA period, ATR period and multiplier (20, 10, 2 is the classic).
    pub fn new(period: usize, atr_period: usize, multiplier: f64) -> Result<Self, IndicatorError> {
        let (spec, lookback) = Self::spec(period, atr_period, multiplier)?;
        Ok(Self::from_spec(spec, lookback))
    }

    /// Upper, middle and lower line over whole candle columns.
    pub fn batch(period: usize, atr_period: usize, multiplier: f64, c: &Ohlcv) -> Result<[Column; 3], IndicatorError> {
        let (s, lookback) = Self::spec(period, atr_period, multiplier)?;
        let core = Core::new();
        run_n(c.len(), lookback, |end, [u, m, l]| {
            core.kc(0, end, &c.high, &c.low, &c.close, s.period, s.atr_period, s.multiplier, u, m, l)
        })
    }
}

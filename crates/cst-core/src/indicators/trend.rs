//! Trend strength and direction: ADX, +DI, −DI, Parabolic SAR.

use super::column::run1;
use super::stream::columns;
use super::{Bar, Column, IndicatorError, Ohlcv, Spec, Streaming};
use ta_lib::{Core, RetCode};

hlc_period!(
    /// Average directional index (Wilder) over `period` bars.
    Adx, AdxSpec, AdxStream, adx_lookback, adx_open, adx
);
hlc_period!(
    /// Plus directional indicator (Wilder) over `period` bars.
    PlusDi, PlusDiSpec, PlusDiStream, plus_di_lookback, plus_di_open, plus_di
);
hlc_period!(
    /// Minus directional indicator (Wilder) over `period` bars.
    MinusDi, MinusDiSpec, MinusDiStream, minus_di_lookback, minus_di_open, minus_di
);

/// Parameters of [`Sar`].
#[derive(Debug, Clone, Copy)]
pub struct SarSpec {
    acceleration: f64,
    maximum: f64,
}

impl Spec for SarSpec {
    type In = Bar;
    type Out = f64;
    type Stream = ta_lib::SarStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, f64), RetCode> {
        let c = columns(history);
        Core::new().sar_open(&c.high, &c.low, self.acceleration, self.maximum)
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<f64, RetCode> {
        stream.update(b.high, b.low)
    }
}

/// Parabolic SAR (Wilder) with acceleration step and maximum (0.02, 0.2 is the classic).
pub type Sar = Streaming<SarSpec>;

impl Sar {
    fn spec(acceleration: f64, maximum: f64) -> Result<(SarSpec, usize), IndicatorError> {
        if !(acceleration.is_finite() && maximum.is_finite()) {
            return Err(IndicatorError::BadParam("SAR acceleration and maximum must be finite".into()));
        }
        Ok((SarSpec { acceleration, maximum }, Core::new().sar_lookback(acceleration, maximum)?))
    }

    /// A stream with the given acceleration step and maximum.
    pub fn new(acceleration: f64, maximum: f64) -> Result<Self, IndicatorError> {
        let (spec, lookback) = Self::spec(acceleration, maximum)?;
        Ok(Self::from_spec(spec, lookback))
    }

    /// The SAR over whole candle columns.
    pub fn batch(acceleration: f64, maximum: f64, c: &Ohlcv) -> Result<Column, IndicatorError> {
        let (s, lookback) = Self::spec(acceleration, maximum)?;
        let core = Core::new();
        run1(c.len(), lookback, |end, out| core.sar(0, end, &c.high, &c.low, s.acceleration, s.maximum, out))
    }
}

//! Volume studies: OBV, Chaikin A/D, ADOSC, MFI (TA-Lib) and session and rolling VWAP (ours).

use super::column::run1;
use super::stream::columns;
use super::volatility::column_of;
use super::window::Window;
use super::{Bar, Column, IndicatorError, Ohlcv, Spec, Streaming, period_i32};
use ta_lib::{Core, RetCode};

/// Parameters of [`Obv`] (none).
#[derive(Debug, Clone, Copy)]
pub struct ObvSpec;

impl Spec for ObvSpec {
    type In = Bar;
    type Out = f64;
    type Stream = ta_lib::ObvStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, f64), RetCode> {
        let c = columns(history);
        Core::new().obv_open(&c.close, &c.volume)
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<f64, RetCode> {
        stream.update(b.close, b.volume)
    }
}

/// On-balance volume, starting from the first bar's volume as TA-Lib does.
pub type Obv = Streaming<ObvSpec>;

impl Obv {
    /// A stream (no parameters, no warm-up).
    pub fn new() -> Self {
        Self::from_spec(ObvSpec, 0)
    }

    /// OBV over whole candle columns.
    pub fn batch(c: &Ohlcv) -> Result<Column, IndicatorError> {
        run1(c.len(), 0, |end, out| Core::new().obv(0, end, &c.close, &c.volume, out))
    }
}

impl Default for Obv {
    fn default() -> Self {
        Self::new()
    }
}

/// Parameters of [`Ad`] (none).
#[derive(Debug, Clone, Copy)]
pub struct AdSpec;

impl Spec for AdSpec {
    type In = Bar;
    type Out = f64;
    type Stream = ta_lib::AdStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, f64), RetCode> {
        let c = columns(history);
        Core::new().ad_open(&c.high, &c.low, &c.close, &c.volume)
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<f64, RetCode> {
        stream.update(b.high, b.low, b.close, b.volume)
    }
}

/// Chaikin accumulation/distribution line.
pub type Ad = Streaming<AdSpec>;

impl Ad {
    /// A stream (no parameters, no warm-up).
    pub fn new() -> Self {
        Self::from_spec(AdSpec, 0)
    }

    /// The A/D line over whole candle columns.
    pub fn batch(c: &Ohlcv) -> Result<Column, IndicatorError> {
        run1(c.len(), 0, |end, out| Core::new().ad(0, end, &c.high, &c.low, &c.close, &c.volume, out))
    }
}

impl Default for Ad {
    fn default() -> Self {
        Self::new()
    }
}

/// Parameters of [`AdOsc`].
#[derive(Debug, Clone, Copy)]
pub struct AdOscSpec {
    fast: i32,
    slow: i32,
}

impl Spec for AdOscSpec {
    type In = Bar;
    type Out = f64;
    type Stream = ta_lib::AdoscStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, f64), RetCode> {
        let c = columns(history);
        Core::new().adosc_open(&c.high, &c.low, &c.close, &c.volume, self.fast, self.slow)
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<f64, RetCode> {
        stream.update(b.high, b.low, b.close, b.volume)
    }
}

/// Chaikin A/D oscillator: fast EMA minus slow EMA of the A/D line (3, 10 is the classic).
pub type AdOsc = Streaming<AdOscSpec>;

impl AdOsc {
    fn spec(fast: usize, slow: usize) -> Result<(AdOscSpec, usize), IndicatorError> {
        let s = AdOscSpec { fast: period_i32("fast", fast)?, slow: period_i32("slow", slow)? };
        Ok((s, Core::new().adosc_lookback(s.fast, s.slow)?))
    }

    /// A stream with the fast and slow EMA periods.
    pub fn new(fast: usize, slow: usize) -> Result<Self, IndicatorError> {
        let (spec, lookback) = Self::spec(fast, slow)?;
        Ok(Self::from_spec(spec, lookback))
    }

    /// The oscillator over whole candle columns.
    pub fn batch(fast: usize, slow: usize, c: &Ohlcv) -> Result<Column, IndicatorError> {
        let (s, lookback) = Self::spec(fast, slow)?;
        let core = Core::new();
        run1(c.len(), lookback, |end, out| {
            core.adosc(0, end, &c.high, &c.low, &c.close, &c.volume, s.fast, s.slow, out)
        })
    }
}

/// Parameters of [`Mfi`].
#[derive(Debug, Clone, Copy)]
pub struct MfiSpec {
    period: i32,
}

impl Spec for MfiSpec {
    type In = Bar;
    type Out = f64;
    type Stream = ta_lib::MfiStream;
    fn open(&self, history: &[Bar]) -> Result<(Self::Stream, f64), RetCode> {
        let c = columns(history);
        Core::new().mfi_open(&c.high, &c.low, &c.close, &c.volume, self.period)
    }
    #[inline]
    fn step(stream: &mut Self::Stream, b: Bar) -> Result<f64, RetCode> {
        stream.update(b.high, b.low, b.close, b.volume)
    }
}

/// Money flow index over `period` bars.
pub type Mfi = Streaming<MfiSpec>;

impl Mfi {
    /// A stream with the given period.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let period = period_i32("period", period)?;
        let lookback = Core::new().mfi_lookback(period)?;
        Ok(Self::from_spec(MfiSpec { period }, lookback))
    }

    /// MFI over whole candle columns.
    pub fn batch(period: usize, c: &Ohlcv) -> Result<Column, IndicatorError> {
        let period = period_i32("period", period)?;
        let core = Core::new();
        let lookback = core.mfi_lookback(period)?;
        run1(c.len(), lookback, |end, out| core.mfi(0, end, &c.high, &c.low, &c.close, &c.volume, period, out))
    }
}

/// The typical price (high + low + close) / 3 that VWAPs weight by volume.
fn typical(b: &Bar) -> f64 {
    (b.high + b.low + b.close) / 3.0
}

/// VWAP of the current session: Σ typical·volume / Σ volume since the session's start. A session
/// is a fixed-length slice of UTC time (`session_secs`, e.g. 86 400 for the UTC day); the first
/// bar of a new session starts afresh. `None` while the session has had no volume.
#[derive(Debug, Clone)]
pub struct SessionVwap {
    session_secs: i64,
    session: Option<i64>,
    price_volume: f64,
    volume: f64,
}

impl SessionVwap {
    /// A stream with sessions of `session_secs` seconds, aligned to the Unix epoch.
    pub fn new(session_secs: i64) -> Result<Self, IndicatorError> {
        if session_secs <= 0 {
            return Err(IndicatorError::BadParam("VWAP session length must be positive".into()));
        }
        Ok(Self { session_secs, session: None, price_volume: 0.0, volume: 0.0 })
    }

    /// Feeds the bar that opened at `time_secs`; non-finite bars are refused (`None`).
    pub fn update(&mut self, time_secs: i64, bar: Bar) -> Option<f64> {
        if !bar.is_finite() {
            return None;
        }
        let session = time_secs.div_euclid(self.session_secs);
        if self.session != Some(session) {
            self.session = Some(session);
            self.price_volume = 0.0;
            self.volume = 0.0;
        }
        self.price_volume += typical(&bar) * bar.volume;
        self.volume += bar.volume;
        (self.volume > 0.0).then(|| self.price_volume / self.volume)
    }

    /// Session VWAP over whole candle columns.
    pub fn batch(session_secs: i64, c: &Ohlcv) -> Result<Column, IndicatorError> {
        let mut s = Self::new(session_secs)?;
        Ok(column_of(c.len(), 0, (0..c.len()).map(|i| s.update(c.time[i], c.bar(i)))))
    }
}

/// VWAP of the last `period` bars: Σ typical·volume / Σ volume; `None` while they had no volume.
#[derive(Debug, Clone)]
pub struct RollingVwap {
    price_volume: Window,
    volume: Window,
}

impl RollingVwap {
    /// A stream over `period` bars (at least 1).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        if period == 0 {
            return Err(IndicatorError::BadParam("rolling VWAP period must be at least 1".into()));
        }
        Ok(Self { price_volume: Window::new(period), volume: Window::new(period) })
    }

    /// Bars consumed before the first value.
    pub fn lookback(&self) -> usize {
        self.volume.len() - 1
    }

    /// Feeds one bar; non-finite bars are refused (state untouched, `None`).
    pub fn update(&mut self, bar: Bar) -> Option<f64> {
        if !bar.is_finite() {
            return None;
        }
        self.price_volume.push(typical(&bar) * bar.volume);
        self.volume.push(bar.volume);
        let v = self.volume.sum();
        (self.volume.is_full() && v > 0.0).then(|| self.price_volume.sum() / v)
    }

    /// Forgets everything seen so far.
    pub fn reset(&mut self) {
        let n = self.volume.len();
        *self = Self { price_volume: Window::new(n), volume: Window::new(n) };
    }

    /// Rolling VWAP over whole candle columns.
    pub fn batch(period: usize, c: &Ohlcv) -> Result<Column, IndicatorError> {
        let mut s = Self::new(period)?;
        let lookback = s.lookback();
        Ok(column_of(c.len(), lookback, (0..c.len()).map(|i| s.update(c.bar(i)))))
    }
}

//! The streaming form shared by every indicator: warm-up buffering, then one O(1) step per bar.

use super::column::Ohlcv;
use ta_lib::RetCode;

/// One candle's prices and volume as the indicators read them (f64: features, not money).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Opening price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Closing price.
    pub close: f64,
    /// Traded volume (base currency).
    pub volume: f64,
}

impl Bar {
    /// True when every field is a finite number.
    pub fn is_finite(&self) -> bool {
        self.open.is_finite()
            && self.high.is_finite()
            && self.low.is_finite()
            && self.close.is_finite()
            && self.volume.is_finite()
    }
}

/// Upper, middle and lower band at one bar (Bollinger, Donchian, Keltner).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    /// Upper band.
    pub upper: f64,
    /// Middle line.
    pub middle: f64,
    /// Lower band.
    pub lower: f64,
}

/// MACD line, signal line and histogram at one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValue {
    /// Fast EMA minus slow EMA.
    pub macd: f64,
    /// EMA of the MACD line.
    pub signal: f64,
    /// MACD line minus signal line.
    pub hist: f64,
}

/// An input a stream accepts: one number, or one [`Bar`].
pub trait Input: Copy + std::fmt::Debug {
    /// True when the input may enter an indicator's state.
    fn is_valid(&self) -> bool;
}

impl Input for f64 {
    fn is_valid(&self) -> bool {
        self.is_finite()
    }
}

impl Input for Bar {
    fn is_valid(&self) -> bool {
        self.is_finite()
    }
}

/// An output a stream hands out; never NaN or infinite.
pub trait Output: Copy + std::fmt::Debug {
    /// True when every number in the output is finite.
    fn is_valid(&self) -> bool;
}

impl Output for f64 {
    fn is_valid(&self) -> bool {
        self.is_finite()
    }
}

impl Output for Bands {
    fn is_valid(&self) -> bool {
        self.upper.is_finite() && self.middle.is_finite() && self.lower.is_finite()
    }
}

impl Output for MacdValue {
    fn is_valid(&self) -> bool {
        self.macd.is_finite() && self.signal.is_finite() && self.hist.is_finite()
    }
}

impl Output for (f64, f64) {
    fn is_valid(&self) -> bool {
        self.0.is_finite() && self.1.is_finite()
    }
}

/// What one indicator plugs into [`Streaming`]: its parameters, its engine stream and its step.
pub trait Spec: Clone + std::fmt::Debug {
    /// What one update takes.
    type In: Input;
    /// What one update gives.
    type Out: Output;
    /// The engine's live state.
    type Stream: Clone + std::fmt::Debug;
    /// Opens the engine's stream on exactly `lookback + 1` warm-up inputs; returns the last value.
    fn open(&self, history: &[Self::In]) -> Result<(Self::Stream, Self::Out), RetCode>;
    /// Advances the engine's stream by one input.
    fn step(stream: &mut Self::Stream, input: Self::In) -> Result<Self::Out, RetCode>;
}

/// Splits buffered bars into the columns the engine's openers take.
pub(crate) fn columns(history: &[Bar]) -> Ohlcv {
    let mut c = Ohlcv::with_capacity(history.len());
    for b in history {
        c.push(0, *b);
    }
    c
}

#[derive(Debug, Clone)]
enum Phase<S: Spec> {
    Warming(Vec<S::In>),
    Live(S::Stream),
}

/// An indicator fed one input at a time: `None` during TA-Lib's warm-up, then one value per input.
#[derive(Debug, Clone)]
pub struct Streaming<S: Spec> {
    spec: S,
    lookback: usize,
    phase: Phase<S>,
}

impl<S: Spec> Streaming<S> {
    pub(crate) fn from_spec(spec: S, lookback: usize) -> Self {
        Self { spec, lookback, phase: Phase::Warming(Vec::with_capacity(lookback + 1)) }
    }

    /// Number of inputs consumed before the first value (TA-Lib's `*_Lookback`).
    pub fn lookback(&self) -> usize {
        self.lookback
    }

    /// True once the warm-up is over and every update yields a value.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Live(_))
    }

    /// Forgets everything seen so far; the next `lookback` inputs warm it up again.
    pub fn reset(&mut self) {
        self.phase = Phase::Warming(Vec::with_capacity(self.lookback + 1));
    }

    /// Feeds one closed bar's input; its value, or `None` during warm-up. A non-finite input is
    /// refused: the state is left as it was and `None` is returned.
    #[inline]
    pub fn update(&mut self, input: S::In) -> Option<S::Out> {
        if !input.is_valid() {
            return None;
        }
        let out = match &mut self.phase {
            Phase::Live(stream) => S::step(stream, input).ok(),
            Phase::Warming(history) => {
                history.push(input);
                if history.len() <= self.lookback {
                    return None;
                }
                let (stream, last) = self.spec.open(history).ok()?;
                self.phase = Phase::Live(stream);
                Some(last)
            }
        };
        out.filter(Output::is_valid)
    }
}

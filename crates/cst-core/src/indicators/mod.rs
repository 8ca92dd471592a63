//! Technical indicators: TA-Lib-exact values behind one small typed interface.
//!
//! The engine is the `ta-lib` crate (the TA-Lib project's own pure-Rust port), so every value the
//! TA-Lib C library produces is reproduced bit for bit or to rounding; this module adds what the
//! callers need on top of it:
//!
//! - a streaming form per indicator, [`Streaming`]: built with `new(params)`, fed one value or
//!   one [`Bar`] at a time, answering `None` until TA-Lib's lookback has passed, then one value
//!   per bar in O(1). It buffers the warm-up bars and opens the library's own stream on exactly
//!   `lookback + 1` bars, which is why it is identical to the batch form from the first value on;
//! - a batch form per indicator (`Sma::batch(period, &closes)`), returning a [`Column`] aligned
//!   with the input rows (no value during warm-up);
//! - the indicators the TA-Lib C library lacks: Donchian and Keltner channels (the Rust port has
//!   them, so they come from it too) and session and rolling VWAP, realized volatility and
//!   z-score (written here, with the same two forms, tested against their definitions);
//! - [`set`]: the 34 columns of the TA-Lib oracle (`sma20` ... `sar`) in one call or one stream.
//!
//! ```
//! use cst_core::indicators::{Bar, Donchian, Sma};
//! let mut sma = Sma::new(3).expect("period");
//! assert_eq!(sma.update(1.0), None); // warm-up: TA-Lib's lookback is period - 1
//! assert_eq!(sma.update(2.0), None);
//! assert_eq!(sma.update(6.0), Some(3.0));
//! let mut channel = Donchian::new(20).expect("period");
//! let bar = Bar { open: 1.0, high: 2.0, low: 0.5, close: 1.5, volume: 10.0 };
//! assert_eq!(channel.update(bar), None);
//! ```
//!
//! Validity is part of the value: nothing here ever hands out NaN or an infinity. A non-finite
//! input is refused by the streams (the state is left untouched and `None` answered), and a
//! non-finite output, which TA-Lib does not produce on finite input, would read as `None` too.
//!
//! Families: [`average`] (SMA, EMA, WMA, DEMA, TEMA, KAMA), [`momentum`] (RSI, MACD, ROC, MOM,
//! TRIX, Stochastic, Williams %R, CCI, Ultimate Oscillator, Aroon), [`volatility`] (STDDEV,
//! Bollinger Bands, ATR, NATR, realized volatility, z-score), [`trend`] (ADX, +DI, −DI, Parabolic
//! SAR), [`volume`] (OBV, Chaikin A/D, ADOSC, MFI, VWAP), [`channel`] (Donchian, Keltner).

#[macro_use]
mod macros;

pub mod average;
pub mod channel;
pub mod momentum;
pub mod set;
pub mod trend;
pub mod volatility;
pub mod volume;

mod column;
mod stream;
mod window;

pub use average::{Dema, Ema, Kama, Sma, Tema, Wma};
pub use channel::{Donchian, Keltner};
pub use column::{Column, Ohlcv, bar_of};
pub use momentum::{Aroon, Cci, Macd, Mom, Roc, Rsi, Stoch, Trix, UltOsc, WillR};
pub use set::{STANDARD_NAMES, StandardSet, standard_columns};
pub use stream::{Bands, Bar, MacdValue, Spec, Streaming};
pub use trend::{Adx, MinusDi, PlusDi, Sar};
pub use volatility::{Atr, Bbands, Natr, RealizedVol, StdDev, ZScore};
pub use volume::{Ad, AdOsc, Mfi, Obv, RollingVwap, SessionVwap};

use ta_lib::RetCode;

/// Why an indicator could not be built or computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndicatorError {
    /// A parameter outside the range TA-Lib accepts (or ours, for our own indicators).
    #[error("bad parameter: {0}")]
    BadParam(String),
    /// The engine refused the computation (input columns of different lengths, for example).
    #[error("ta-lib refused the computation: {0:?}")]
    Engine(RetCode),
}

impl From<RetCode> for IndicatorError {
    fn from(code: RetCode) -> Self {
        match code {
            RetCode::BadParam => IndicatorError::BadParam("rejected by ta-lib".into()),
            other => IndicatorError::Engine(other),
        }
    }
}

/// Converts a period to TA-Lib's integer type, refusing what it cannot hold.
pub(crate) fn period_i32(name: &str, period: usize) -> Result<i32, IndicatorError> {
    i32::try_from(period).map_err(|_| IndicatorError::BadParam(format!("{name} {period} is too large")))
}

//! `cst-core`: the pure, synchronous and deterministic heart of CryptoSmartTrader.
//!
//! Nothing here reads a clock or does I/O: time arrives inside values, data arrives as text or
//! rows. That keeps every rule (numbers, candles, data quality, resampling) testable on real
//! recorded data without a runtime.
//!
//! Tour:
//! - [`num`]: exact `Price`, `Qty`, `Money` (decimal, never NaN) and tick/lot rounding.
//! - [`time`]: `Timestamp` (ns since the Unix epoch, UTC) and [`interval::Interval`].
//! - [`pair`] and [`instrument`]: Kraken's asset and pair naming, AssetPairs metadata.
//! - [`candle`] and [`trade`]: market data records; [`book`]: the exact, fast L2 order book.
//! - [`ohlcvt`]: Kraken's OHLCVT CSV dialects (lines and file names).
//! - [`quality`] and [`resample`]: the data-quality gate and exact resampling.
//! - [`aggregate`]: trades → candles exactly as Kraken builds its OHLC.
//! - [`indicators`], [`features`] and [`regime`]: TA-Lib-exact indicators (streaming = batch), the
//!   causal feature pipeline and the market regime per candle.

//! - [`event`] → [`engine`]: strategies ([`strategy`]), the [`signal`] gate, [`sizing`], the
//!   [`risk`] guard with its [`kill_switch`], the [`execution`] policy, orders ([`order`]).
//! - [`sim_venue`] (fees, latency, candle and L2 fills), [`ledger`], and [`backtest`] reports.

pub mod aggregate;
pub mod backtest;
pub mod book;
pub mod candle;
pub mod depth;
pub mod engine;
pub mod event;
pub mod execution;
pub mod features;
pub mod indicators;
pub mod instrument;
pub mod interval;
pub mod kill_switch;
pub mod ledger;
pub mod num;
pub mod ohlcvt;
pub mod order;
pub mod pair;
pub mod quality;
pub mod regime;
pub mod resample;
pub mod risk;
pub mod signal;
pub mod sim_venue;
pub mod sizing;
pub mod strategy;
pub mod time;
pub mod trade;

pub use candle::{Candle, CandleRow};
pub use instrument::{Instrument, InstrumentSet};
pub use interval::Interval;
pub use num::{Money, Price, Qty};
pub use pair::Pair;
pub use time::Timestamp;
pub use trade::{Side, Trade};

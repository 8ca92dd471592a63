//! The per-timeframe feature blocks: the full block on the base candles and the smaller context
//! block on each coarser timeframe. Every value is scale-free (returns, ratios, oscillators,
//! z-scores), so models see the same numbers across pairs and price levels.

use crate::indicators::{
    Adx, Bar, Bbands, Ema, IndicatorError, Macd, Mfi, MinusDi, Natr, PlusDi, RealizedVol, RollingVwap, Rsi,
    SessionVwap, Sma, Stoch, WillR, ZScore,
};
use std::collections::VecDeque;

/// Log-return horizons of the base block, in bars.
const RETURN_HORIZONS: [usize; 3] = [1, 4, 24];

/// The logarithms of the last closes, enough for the longest return horizon and the lags (one
/// logarithm per candle; a return is a difference).
#[derive(Debug, Clone)]
struct Closes {
    past: VecDeque<f64>,
    cap: usize,
}

impl Closes {
    fn new(cap: usize) -> Self {
        Self { past: VecDeque::with_capacity(cap + 1), cap }
    }

    fn push(&mut self, close: f64) {
        self.past.push_front(close.ln());
        self.past.truncate(self.cap);
    }

    /// Log return from `k` bars before `lag` bars ago to `lag` bars ago.
    fn log_return(&self, k: usize, lag: usize) -> Option<f64> {
        let (now, then) = (self.past.get(lag)?, self.past.get(lag + k)?);
        Some(now - then)
    }
}

fn ratio_minus_one(a: f64, b: Option<f64>) -> Option<f64> {
    b.filter(|b| *b != 0.0).map(|b| a / b - 1.0)
}

fn position(x: f64, lower: f64, upper: f64) -> Option<f64> {
    (upper > lower).then(|| (x - lower) / (upper - lower))
}

/// Periods and output positions of the base values the regime detector can reuse.
pub(crate) const ADX_PERIOD: usize = 14;
/// Returns in the base block's realized volatility.
pub(crate) const RV_PERIOD: usize = 24;
/// Positions of `rv_24`, `adx_14` and `di_diff_14` in [`BASE_NAMES`].
pub(crate) const RV_AT: usize = 5;
pub(crate) const ADX_AT: usize = 11;
pub(crate) const DI_DIFF_AT: usize = 12;

/// Names of the base block, in output order. CCI and the Donchian position are left out on
/// purpose: on candles they carry what `close_z20`, `stoch_k` and `willr_14` already carry, and
/// they are the two most expensive streams per candle.
pub const BASE_NAMES: [&str; 23] = [
    "ret_1",
    "ret_1_lag1",
    "ret_1_lag2",
    "ret_4",
    "ret_24",
    "rv_24",
    "natr_14",
    "rsi_14",
    "macd_hist_rel",
    "bb_pctb",
    "bb_width",
    "adx_14",
    "di_diff_14",
    "stoch_k",
    "mfi_14",
    "willr_14",
    "ema20_dist",
    "ema50_dist",
    "vwap24_dist",
    "vwap_session_dist",
    "close_z20",
    "volume_z20",
    "volume_rel20",
];

/// The full feature block over the base timeframe.
#[derive(Debug, Clone)]
pub(crate) struct BaseBlock {
    closes: Closes,
    rv: RealizedVol,
    natr: Natr,
    rsi: Rsi,
    macd: Macd,
    bb: Bbands,
    adx: Adx,
    plus_di: PlusDi,
    minus_di: MinusDi,
    stoch: Stoch,
    mfi: Mfi,
    willr: WillR,
    ema20: Ema,
    ema50: Ema,
    vwap24: RollingVwap,
    session_vwap: SessionVwap,
    close_z: ZScore,
    volume_z: ZScore,
    volume_sma: Sma,
}

impl BaseBlock {
    pub(crate) fn new() -> Result<Self, IndicatorError> {
        Ok(Self {
            closes: Closes::new(RETURN_HORIZONS[2] + 3),
            rv: RealizedVol::new(RV_PERIOD)?,
            natr: Natr::new(14)?,
            rsi: Rsi::new(14)?,
            macd: Macd::new(12, 26, 9)?,
            bb: Bbands::new(20, 2.0, 2.0)?,
            adx: Adx::new(ADX_PERIOD)?,
            plus_di: PlusDi::new(ADX_PERIOD)?,
            minus_di: MinusDi::new(ADX_PERIOD)?,
            stoch: Stoch::new(14, 3, 3)?,
            mfi: Mfi::new(14)?,
            willr: WillR::new(14)?,
            ema20: Ema::new(20)?,
            ema50: Ema::new(50)?,
            vwap24: RollingVwap::new(24)?,
            session_vwap: SessionVwap::new(86_400)?,
            close_z: ZScore::new(20)?,
            volume_z: ZScore::new(20)?,
            volume_sma: Sma::new(20)?,
        })
    }

    /// Feeds one base candle and writes [`BASE_NAMES`] values into `out`.
    pub(crate) fn update(&mut self, time_secs: i64, b: Bar, out: &mut [Option<f64>]) {
        let c = b.close;
        self.closes.push(c);
        let macd = self.macd.update(c);
        let bb = self.bb.update(c);
        let (plus, minus) = (self.plus_di.update(b), self.minus_di.update(b));
        // Volume enters as its logarithm so one huge print does not dominate the window.
        let log_volume = (b.volume > 0.0).then(|| b.volume.ln());
        let volume_sma = self.volume_sma.update(b.volume);
        let values: [Option<f64>; 23] = [
            self.closes.log_return(RETURN_HORIZONS[0], 0),
            self.closes.log_return(1, 1),
            self.closes.log_return(1, 2),
            self.closes.log_return(RETURN_HORIZONS[1], 0),
            self.closes.log_return(RETURN_HORIZONS[2], 0),
            self.rv.update(c),
            self.natr.update(b),
            self.rsi.update(c),
            macd.map(|m| m.hist / c),
            bb.and_then(|v| position(c, v.lower, v.upper)),
            bb.and_then(|v| (v.middle != 0.0).then(|| (v.upper - v.lower) / v.middle)),
            self.adx.update(b),
            plus.zip(minus).map(|(p, m)| p - m),
            self.stoch.update(b).map(|s| s.0),
            self.mfi.update(b),
            self.willr.update(b),
            ratio_minus_one(c, self.ema20.update(c)),
            ratio_minus_one(c, self.ema50.update(c)),
            ratio_minus_one(c, self.vwap24.update(b)),
            ratio_minus_one(c, self.session_vwap.update(time_secs, b)),
            self.close_z.update(c),
            log_volume.and_then(|v| self.volume_z.update(v)),
            volume_sma.and_then(|s| (s > 0.0).then(|| b.volume / s)),
        ];
        out[..values.len()].copy_from_slice(&values);
    }
}

/// Names of a context block (prefixed by its interval, e.g. `1d_rsi_14`), in output order.
pub const CONTEXT_NAMES: [&str; 7] = ["ret_1", "rv_24", "natr_14", "rsi_14", "ema20_dist", "adx_14", "di_diff_14"];

/// The feature block of one coarser timeframe, updated when one of its candles closes.
#[derive(Debug, Clone)]
pub(crate) struct ContextBlock {
    prev_close: Option<f64>,
    rv: RealizedVol,
    natr: Natr,
    rsi: Rsi,
    ema20: Ema,
    adx: Adx,
    plus_di: PlusDi,
    minus_di: MinusDi,
    /// The values as of the last closed context candle.
    pub(crate) latest: [Option<f64>; 7],
}

impl ContextBlock {
    pub(crate) fn new() -> Result<Self, IndicatorError> {
        Ok(Self {
            prev_close: None,
            rv: RealizedVol::new(24)?,
            natr: Natr::new(14)?,
            rsi: Rsi::new(14)?,
            ema20: Ema::new(20)?,
            adx: Adx::new(14)?,
            plus_di: PlusDi::new(14)?,
            minus_di: MinusDi::new(14)?,
            latest: [None; 7],
        })
    }

    /// Feeds one closed context candle.
    pub(crate) fn update(&mut self, b: Bar) {
        let c = b.close;
        let ret = self.prev_close.replace(c).map(|p| (c / p).ln());
        let (plus, minus) = (self.plus_di.update(b), self.minus_di.update(b));
        self.latest = [
            ret,
            self.rv.update(c),
            self.natr.update(b),
            self.rsi.update(c),
            ratio_minus_one(c, self.ema20.update(c)),
            self.adx.update(b),
            plus.zip(minus).map(|(p, m)| p - m),
        ];
    }
}

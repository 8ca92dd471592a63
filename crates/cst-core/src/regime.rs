//! Market regime per candle: trend-up, trend-down, range or high-volatility; deterministic and
//! causal (each candle's regime uses that candle and earlier ones only).
//!
//! The rule, in order:
//! 1. **High volatility** when the realized volatility of the last `vol_period` returns ranks at
//!    or above `high_vol_rank` among its own last `rank_window` values (a trailing quantile, so
//!    "high" is relative to the market's own recent history, not a fixed number).
//! 2. **Trend up / down** when ADX(`adx_period`) is at least `adx_trend` and +DI is above −DI
//!    (up) or below it (down).
//! 3. **Range** otherwise.
//!
//! Until ADX and the volatility rank both exist (warm-up) there is no regime (`None`).

use crate::indicators::{Adx, Bar, IndicatorError, MinusDi, PlusDi, RealizedVol};
use std::collections::VecDeque;

/// The regime of one candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Regime {
    /// Directional market rising (ADX strong, +DI above −DI).
    TrendUp,
    /// Directional market falling (ADX strong, −DI above +DI).
    TrendDown,
    /// No strong direction and ordinary volatility.
    Range,
    /// Volatility in the top quantile of its own recent history.
    HighVolatility,
}

impl Regime {
    /// All regimes, in a fixed order (feature columns follow it).
    pub const ALL: [Regime; 4] = [Regime::TrendUp, Regime::TrendDown, Regime::Range, Regime::HighVolatility];

    /// A short lowercase name (`trend_up`, `trend_down`, `range`, `high_vol`).
    pub const fn name(self) -> &'static str {
        match self {
            Regime::TrendUp => "trend_up",
            Regime::TrendDown => "trend_down",
            Regime::Range => "range",
            Regime::HighVolatility => "high_vol",
        }
    }
}

/// Parameters of the [`RegimeDetector`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeParams {
    /// ADX, +DI and −DI period.
    pub adx_period: usize,
    /// ADX at or above which the market trends.
    pub adx_trend: f64,
    /// Returns in the realized volatility.
    pub vol_period: usize,
    /// Past volatility values the rank is taken among.
    pub rank_window: usize,
    /// Rank (0..=1) at or above which volatility is high.
    pub high_vol_rank: f64,
}

impl Default for RegimeParams {
    /// ADX 14 ≥ 25 for a trend; 24-return volatility in its top 10% of the last 720 values.
    fn default() -> Self {
        Self { adx_period: 14, adx_trend: 25.0, vol_period: 24, rank_window: 720, high_vol_rank: 0.9 }
    }
}

/// Rank of the newest value among the last `len` values, kept sorted for O(log n) search.
#[derive(Debug, Clone)]
struct TrailingRank {
    len: usize,
    order: VecDeque<f64>,
    sorted: Vec<f64>,
}

impl TrailingRank {
    fn new(len: usize) -> Self {
        Self { len, order: VecDeque::with_capacity(len + 1), sorted: Vec::with_capacity(len + 1) }
    }

    /// Adds `x`; once the window is full, whether at least `count` of its values are at or
    /// below `x` (the rank test `rank >= count / len` without computing the rank).
    fn push(&mut self, x: f64, count: usize) -> Option<bool> {
        self.order.push_back(x);
        let old = (self.order.len() > self.len).then(|| self.order.pop_front()).flatten();
        // Realized volatilities are finite and non-negative, so `<` is a total order here.
        let q = self.sorted.partition_point(|v| *v < x);
        match old {
            // Replace the leaving value by the new one with a single shift of the values between.
            Some(old) => {
                let p = self.sorted.partition_point(|v| *v < old);
                if p < q {
                    self.sorted.copy_within(p + 1..q, p);
                    self.sorted[q - 1] = x;
                } else {
                    self.sorted.copy_within(q..p, q + 1);
                    self.sorted[q] = x;
                }
            }
            None => self.sorted.insert(q, x),
        }
        if self.order.len() < self.len {
            return None;
        }
        // At least `count` values are <= x exactly when the count-th smallest is.
        Some(count == 0 || self.sorted[count - 1] <= x)
    }
}

/// Classifies candles one at a time (streaming) or a whole series ([`RegimeDetector::batch`]).
#[derive(Debug, Clone)]
pub struct RegimeDetector {
    params: RegimeParams,
    adx: Adx,
    plus_di: PlusDi,
    minus_di: MinusDi,
    vol: RealizedVol,
    rank: TrailingRank,
    /// Values at or below the current one that make its rank reach `high_vol_rank`.
    high_vol_count: usize,
}

impl RegimeDetector {
    /// A detector with the given parameters.
    pub fn new(params: RegimeParams) -> Result<Self, IndicatorError> {
        if !(0.0..=1.0).contains(&params.high_vol_rank) || params.rank_window == 0 {
            return Err(IndicatorError::BadParam("high_vol_rank must be in 0..=1 and rank_window > 0".into()));
        }
        Ok(Self {
            params,
            adx: Adx::new(params.adx_period)?,
            plus_di: PlusDi::new(params.adx_period)?,
            minus_di: MinusDi::new(params.adx_period)?,
            vol: RealizedVol::new(params.vol_period)?,
            rank: TrailingRank::new(params.rank_window),
            high_vol_count: (params.high_vol_rank * params.rank_window as f64).ceil() as usize,
        })
    }

    /// Feeds one closed candle; its regime once warmed up.
    pub fn update(&mut self, bar: Bar) -> Option<Regime> {
        let adx = self.adx.update(bar);
        let (plus, minus) = (self.plus_di.update(bar), self.minus_di.update(bar));
        let vol = self.vol.update(bar.close);
        self.classify(adx, plus.zip(minus).map(|(p, m)| p - m), vol)
    }

    /// Classifies from ADX, +DI − DI and realized volatility computed elsewhere with this
    /// detector's periods (the feature pipeline already has them); call once per candle, in
    /// order, instead of [`Self::update`].
    pub fn classify(&mut self, adx: Option<f64>, di_diff: Option<f64>, realized_vol: Option<f64>) -> Option<Regime> {
        let high_vol = realized_vol.and_then(|v| self.rank.push(v, self.high_vol_count));
        let (adx, di_diff, high_vol) = (adx?, di_diff?, high_vol?);
        Some(if high_vol {
            Regime::HighVolatility
        } else if adx >= self.params.adx_trend && di_diff > 0.0 {
            Regime::TrendUp
        } else if adx >= self.params.adx_trend && di_diff < 0.0 {
            Regime::TrendDown
        } else {
            Regime::Range
        })
    }

    /// Forgets everything (after a long gap in the data).
    pub fn reset(&mut self) {
        if let Ok(fresh) = Self::new(self.params) {
            *self = fresh;
        }
    }

    /// The parameters.
    pub fn params(&self) -> RegimeParams {
        self.params
    }

    /// The regime of every bar of a series, by the same streaming code.
    pub fn batch(
        params: RegimeParams,
        bars: impl IntoIterator<Item = Bar>,
    ) -> Result<Vec<Option<Regime>>, IndicatorError> {
        let mut d = Self::new(params)?;
        Ok(bars.into_iter().map(|b| d.update(b)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_rank_test_equals_counting_the_window_on_real_closes() {
        let text = cst_testdata::read_text("kraken/ohlcvt/daily/BTCUSD_Daily_OHLC.csv");
        let closes: Vec<f64> =
            text.lines().skip(1).map(|l| l.split(',').nth(4).expect("close").parse().expect("number")).collect();
        let (n, count) = (50, 45);
        let mut rank = TrailingRank::new(n);
        let mut high = 0;
        for (i, x) in closes.iter().enumerate() {
            let want = (i + 1 >= n).then(|| {
                let w = &closes[i + 1 - n..=i];
                w.iter().filter(|v| **v <= *x).count() >= count
            });
            assert_eq!(rank.push(*x, count), want, "row {i}");
            high += usize::from(want == Some(true));
        }
        assert!(high > 100 && high < closes.len() / 2, "{high}");
    }
}

//! The built-in rule strategies. Each emits a target only when its wanted position flips, so
//! the engine does no work on bars where nothing changes. Their indicators are the TA-Lib
//! streams of [`crate::indicators`], the same code (and numbers) as `cst ta` and the features.

use super::{BarView, Target};
use crate::indicators::{Bands, Bar, Donchian, IndicatorError, Rsi, Sma};

/// Long when the fast SMA is above the slow SMA, flat otherwise.
#[derive(Debug, Clone)]
pub struct SmaCross {
    fast: Sma,
    slow: Sma,
    periods: (usize, usize),
    long: Option<bool>,
}

impl SmaCross {
    /// A crossover of `fast` over `slow` closes.
    pub fn new(fast: usize, slow: usize) -> Result<Self, IndicatorError> {
        Ok(Self { fast: Sma::new(fast)?, slow: Sma::new(slow)?, periods: (fast, slow), long: None })
    }

    /// Fast period.
    pub fn fast_period(&self) -> usize {
        self.periods.0
    }

    /// Slow period.
    pub fn slow_period(&self) -> usize {
        self.periods.1
    }

    #[inline]
    pub(super) fn on_bar(&mut self, bar: &BarView) -> Option<Target> {
        let fast = self.fast.update(bar.close);
        let slow = self.slow.update(bar.close)?;
        let want = fast? > slow;
        flip(&mut self.long, want)
    }
}

/// Emits a rule target when the wanted state differs from the current one.
#[inline]
fn flip(state: &mut Option<bool>, want: bool) -> Option<Target> {
    if *state == Some(want) {
        return None;
    }
    let first = state.is_none();
    *state = Some(want);
    // Starting flat needs no order: only a first "long" is news.
    if first && !want {
        return None;
    }
    Some(Target::rule(if want { 1.0 } else { 0.0 }))
}

/// Buys when Wilder's RSI falls below `entry_below`, exits when it rises above `exit_above`.
#[derive(Debug, Clone)]
pub struct RsiReversion {
    rsi: Rsi,
    entry_below: f64,
    exit_above: f64,
    long: Option<bool>,
}

impl RsiReversion {
    /// An RSI(period) reversion with the given thresholds.
    pub fn new(period: usize, entry_below: f64, exit_above: f64) -> Result<Self, IndicatorError> {
        Ok(Self { rsi: Rsi::new(period)?, entry_below, exit_above, long: None })
    }

    #[inline]
    pub(super) fn on_bar(&mut self, bar: &BarView) -> Option<Target> {
        let rsi = self.rsi.update(bar.close)?;
        let held = self.long.unwrap_or(false);
        let want = if held { rsi <= self.exit_above } else { rsi < self.entry_below };
        flip(&mut self.long, want)
    }
}

/// Donchian breakout: long on a close above the prior `entry_period` high, flat on a close below
/// the prior `exit_period` low.
#[derive(Debug, Clone)]
pub struct Breakout {
    entry: Donchian,
    exit: Donchian,
    /// The channels up to the previous bar: a breakout compares this close with the bars before it.
    prior: Option<(Bands, Bands)>,
    long: Option<bool>,
}

impl Breakout {
    /// A breakout with the given channel lengths.
    pub fn new(entry_period: usize, exit_period: usize) -> Result<Self, IndicatorError> {
        Ok(Self { entry: Donchian::new(entry_period)?, exit: Donchian::new(exit_period)?, prior: None, long: None })
    }

    #[inline]
    pub(super) fn on_bar(&mut self, bar: &BarView) -> Option<Target> {
        let b = Bar { open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: 0.0 };
        let now = self.entry.update(b).zip(self.exit.update(b));
        let (entry, exit) = std::mem::replace(&mut self.prior, now)?;
        let held = self.long.unwrap_or(false);
        let want = if held { bar.close >= exit.lower } else { bar.close > entry.upper };
        flip(&mut self.long, want)
    }
}

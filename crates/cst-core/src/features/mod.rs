//! The feature pipeline: candles in, one named feature vector per candle out, by one streaming
//! code path that batch mode (training, backtests) simply runs over a whole series.
//!
//! # What a row holds
//! For a base candle that opened at `t` (the row's time) the row is known at its close,
//! `t + interval`, and holds:
//! - the base block ([`BASE_NAMES`]): lagged log returns, realized volatility, NATR, RSI, MACD
//!   histogram relative to price, Bollinger %b and width, ADX and DI spread, stochastic %K,
//!   MFI, Williams %R, distance to EMA20/EMA50/VWAPs, z-scores of price and log volume,
//!   relative volume — all scale-free;
//! - per context timeframe (e.g. `4h`, `1d`) the context block ([`CONTEXT_NAMES`], prefixed
//!   with the interval) of the **last context candle that had closed by the row's close time**;
//!   a context candle is formed from the base candles inside it and used only once it closes
//!   (strict alignment by close time, never the forming candle);
//! - the regime one-hot (`regime_trend_up`, ...) from [`crate::regime`];
//! - the gap flags `gap_missing` and `bars_since_gap`.
//!
//! # Gap policy
//! The data-quality gate reports a gap when intervals are missing between two candles (Kraken
//! omits intervals without trades). The pipeline applies the same rule to each new candle:
//! - a short gap (at most `max_gap_intervals` missing) is **flagged**: the indicators continue
//!   over the rows as given (as TA-Lib does), `gap_missing` holds the count of missing intervals
//!   on the first row after the gap and `bars_since_gap` (counted from the first candle, which
//!   counts as a gap) restarts from 0;
//! - a long gap (more missing) **resets** every indicator, the context candles being built and
//!   the regime detector, so no value after the gap is computed from data before it: every
//!   feature warms up again.
//!
//! Candles that repeat or go back in time are rejected with a reason and counted, never used.
//!
//! # No lookahead
//! Every value at a row depends only on that candle and earlier ones; `tests/feature_lookahead.rs`
//! recomputes the features on every prefix of a real series and checks no earlier row changes.

mod aggregate;
mod block;

pub use block::{BASE_NAMES, CONTEXT_NAMES};

use crate::CandleRow;
use crate::indicators::{Bar, IndicatorError, bar_of};
use crate::interval::Interval;
use crate::regime::{Regime, RegimeDetector, RegimeParams};
use aggregate::Aggregator;
use block::{BaseBlock, ContextBlock};

/// Which timeframes the pipeline computes and when a gap resets it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureConfig {
    /// The interval of the candles fed in.
    pub base: Interval,
    /// Coarser timeframes whose closed candles give context (each a multiple of `base`).
    pub contexts: Vec<Interval>,
    /// Missing intervals above which a gap resets everything instead of being flagged.
    pub max_gap_intervals: i64,
    /// Parameters of the regime columns.
    pub regime: RegimeParams,
}

impl FeatureConfig {
    /// The default set for a base interval: contexts 1h and 1d below 1h, 4h and 1d at 1h, 1d at
    /// 4h, none above; gaps longer than 12 intervals reset.
    pub fn default_for(base: Interval) -> Self {
        let contexts = match base {
            Interval::M1 | Interval::M5 | Interval::M15 | Interval::M30 => vec![Interval::H1, Interval::D1],
            Interval::H1 => vec![Interval::H4, Interval::D1],
            Interval::H4 => vec![Interval::D1],
            Interval::D1 | Interval::W1 => Vec::new(),
        };
        Self { base, contexts, max_gap_intervals: 12, regime: RegimeParams::default() }
    }
}

/// Why a candle was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeatureError {
    /// The candle does not come after the previous one.
    #[error("candle at {time} does not follow the previous one at {previous} (duplicate or out of order)")]
    NotAfterPrevious {
        /// Its open time.
        time: i64,
        /// The previous candle's open time.
        previous: i64,
    },
    /// A price or volume is not a finite number.
    #[error("candle at {0} has a non-finite price or volume")]
    NotFinite(i64),
    /// The configuration is unusable.
    #[error("bad feature configuration: {0}")]
    Config(String),
}

impl From<IndicatorError> for FeatureError {
    fn from(e: IndicatorError) -> Self {
        FeatureError::Config(e.to_string())
    }
}

#[derive(Debug, Clone)]
struct Context {
    aggregator: Aggregator,
    block: ContextBlock,
}

/// The streaming feature pipeline of one series.
#[derive(Debug, Clone)]
pub struct FeaturePipeline {
    config: FeatureConfig,
    names: Vec<String>,
    base: BaseBlock,
    contexts: Vec<Context>,
    regime: RegimeDetector,
    previous: Option<i64>,
    bars_since_gap: Option<u64>,
}

impl FeaturePipeline {
    /// A pipeline for the configuration; every context must be a multiple of the base interval.
    pub fn new(config: FeatureConfig) -> Result<Self, FeatureError> {
        let mut names: Vec<String> = BASE_NAMES.iter().map(|n| n.to_string()).collect();
        let mut contexts = Vec::new();
        for ctx in &config.contexts {
            if !config.base.divides(*ctx) {
                return Err(FeatureError::Config(format!("context {ctx} is not a multiple of {}", config.base)));
            }
            names.extend(CONTEXT_NAMES.iter().map(|n| format!("{ctx}_{n}")));
            contexts.push(Context { aggregator: Aggregator::new(config.base, *ctx), block: ContextBlock::new()? });
        }
        names.extend(Regime::ALL.iter().map(|r| format!("regime_{}", r.name())));
        names.extend(["gap_missing".to_string(), "bars_since_gap".to_string()]);
        Ok(Self {
            regime: RegimeDetector::new(config.regime)?,
            base: BaseBlock::new()?,
            config,
            names,
            contexts,
            previous: None,
            bars_since_gap: None,
        })
    }

    /// Feature names, in the order of every row.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Feeds one closed base candle (open time in unix seconds) and writes its row into `out`
    /// (length [`Self::names`]). A rejected candle leaves the state and `out` untouched.
    pub fn update(&mut self, time_secs: i64, bar: Bar, out: &mut [Option<f64>]) -> Result<(), FeatureError> {
        if !bar.is_finite() {
            return Err(FeatureError::NotFinite(time_secs));
        }
        let first = self.previous.is_none();
        let missing = self.check_order(time_secs)?;
        if missing > self.config.max_gap_intervals {
            self.reset();
        }
        // The start of the data counts as a gap: nothing before it is known.
        self.bars_since_gap = if missing > 0 || first { Some(0) } else { self.bars_since_gap.map(|n| n + 1) };
        let (base_out, rest) = out.split_at_mut(BASE_NAMES.len());
        self.base.update(time_secs, bar, base_out);
        let mut at = 0;
        for ctx in &mut self.contexts {
            for (_, closed) in ctx.aggregator.push(time_secs, bar).into_iter().flatten() {
                ctx.block.update(closed);
            }
            rest[at..at + CONTEXT_NAMES.len()].copy_from_slice(&ctx.block.latest);
            at += CONTEXT_NAMES.len();
        }
        let p = self.regime.params();
        let regime = if p.adx_period == block::ADX_PERIOD && p.vol_period == block::RV_PERIOD {
            // Same periods: reuse the base block's values instead of computing them twice.
            self.regime.classify(base_out[block::ADX_AT], base_out[block::DI_DIFF_AT], base_out[block::RV_AT])
        } else {
            self.regime.update(bar)
        };
        for (slot, r) in rest[at..].iter_mut().zip(Regime::ALL) {
            *slot = regime.map(|g| f64::from(u8::from(g == r)));
        }
        at += Regime::ALL.len();
        rest[at] = Some(missing as f64);
        rest[at + 1] = self.bars_since_gap.map(|n| n as f64);
        Ok(())
    }

    /// Missing intervals before a candle at `time_secs`; refuses one that is not later.
    fn check_order(&mut self, time_secs: i64) -> Result<i64, FeatureError> {
        let step = self.config.base.secs();
        let missing = match self.previous {
            Some(previous) if time_secs <= previous => {
                return Err(FeatureError::NotAfterPrevious { time: time_secs, previous });
            }
            Some(previous) => ((time_secs - previous) / step - 1).max(0),
            None => 0,
        };
        self.previous = Some(time_secs);
        Ok(missing)
    }

    fn reset(&mut self) {
        if let Ok(fresh) = Self::new(self.config.clone()) {
            let previous = self.previous;
            *self = fresh;
            self.previous = previous;
        }
    }
}

/// Features of a whole series: one row per accepted candle.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// Column names.
    pub names: Vec<String>,
    /// Open time of each row's candle (unix seconds); the row is known at open + interval.
    pub times: Vec<i64>,
    /// Row-major values, `times.len() × names.len()`; `None` where a feature has no value.
    pub values: Vec<Option<f64>>,
    /// Candles refused, with the reason.
    pub rejected: Vec<FeatureError>,
}

impl FeatureMatrix {
    /// The row at index `i`.
    pub fn row(&self, i: usize) -> &[Option<f64>] {
        let n = self.names.len();
        &self.values[i * n..(i + 1) * n]
    }
}

/// Batch mode: the streaming pipeline run over every row, in the given order.
pub fn compute(config: FeatureConfig, rows: &[CandleRow]) -> Result<FeatureMatrix, FeatureError> {
    let mut p = FeaturePipeline::new(config)?;
    let n = p.names().len();
    let mut m = FeatureMatrix {
        names: p.names().to_vec(),
        times: Vec::with_capacity(rows.len()),
        values: Vec::with_capacity(rows.len() * n),
        rejected: Vec::new(),
    };
    let mut row = vec![None; n];
    for r in rows {
        match p.update(r.time, bar_of(r), &mut row) {
            Ok(()) => {
                m.times.push(r.time);
                m.values.extend_from_slice(&row);
            }
            Err(e) => m.rejected.push(e),
        }
    }
    Ok(m)
}

//! Strategies turn bars into a target position (a fraction of the allotted equity, long/flat by
//! default). Rule strategies carry no confidence and bypass the signal gate; a model-driven
//! strategy plugs in through [`SignalModel`] and carries a calibrated confidence.

mod config;
mod rules;

pub use config::{ConfigError, StrategyFile, StrategySpec, parse_strategy_file, parse_strategy_spec};
pub(crate) use config::{check_range, decimal_from_toml};
pub use rules::{Breakout, RsiReversion, SmaCross};

use crate::event::Bar;
use crate::indicators::IndicatorError;

/// What a strategy wants: a target position and, for model signals, how sure it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// Target position as a fraction of the allotted equity: 0 = flat, 1 = fully long.
    pub fraction: f64,
    /// Calibrated probability that the signal is right, when a model produced it.
    pub confidence: Option<f64>,
    /// Expected win/loss ratio for Kelly sizing (model signals only).
    pub payoff: Option<f64>,
}

impl Target {
    /// A rule signal: no confidence, so the gate does not apply.
    pub const fn rule(fraction: f64) -> Self {
        Self { fraction, confidence: None, payoff: None }
    }
}

/// Float views of one bar, computed once per bar for every consumer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarView {
    /// The bar itself (ticks).
    pub bar: Bar,
    /// Open as f64.
    pub open: f64,
    /// High as f64.
    pub high: f64,
    /// Low as f64.
    pub low: f64,
    /// Close as f64.
    pub close: f64,
}

/// The hook where model-driven signals plug in (implemented by `cst-ml`).
pub trait SignalModel: Send {
    /// A stable name for reports.
    fn name(&self) -> &str;
    /// The exact model behind it (a registry id or content hash), when it has one.
    fn version(&self) -> Option<&str> {
        None
    }
    /// Sees every bar of its pair; returns a target with calibrated confidence when it has a view.
    fn on_bar(&mut self, bar: &BarView) -> Option<Target>;
}

/// A strategy instance for one pair. An enum keeps the hot path free of dynamic dispatch for
/// the built-ins.
pub enum Strategy {
    /// Moving-average crossover.
    SmaCross(SmaCross),
    /// RSI mean reversion.
    RsiReversion(RsiReversion),
    /// Donchian channel breakout.
    Breakout(Breakout),
    /// A model from `cst-ml` (or any [`SignalModel`]).
    Model(Box<dyn SignalModel>),
}

impl std::fmt::Debug for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Strategy {
    /// Builds the strategy a spec describes (one instance per pair); fails only for periods
    /// TA-Lib refuses (a parsed strategy file never has those).
    pub fn from_spec(spec: &StrategySpec) -> Result<Self, IndicatorError> {
        Ok(match *spec {
            StrategySpec::SmaCross { fast, slow } => Strategy::SmaCross(SmaCross::new(fast, slow)?),
            StrategySpec::RsiReversion { period, entry_below, exit_above } => {
                Strategy::RsiReversion(RsiReversion::new(period, entry_below, exit_above)?)
            }
            StrategySpec::Breakout { entry_period, exit_period } => {
                Strategy::Breakout(Breakout::new(entry_period, exit_period)?)
            }
        })
    }

    /// Feeds one bar; returns a new target only when the wanted position changes.
    #[inline]
    pub fn on_bar(&mut self, bar: &BarView) -> Option<Target> {
        match self {
            Strategy::SmaCross(s) => s.on_bar(bar),
            Strategy::RsiReversion(s) => s.on_bar(bar),
            Strategy::Breakout(s) => s.on_bar(bar),
            Strategy::Model(m) => m.on_bar(bar),
        }
    }

    /// Name for reports.
    pub fn name(&self) -> String {
        match self {
            Strategy::SmaCross(s) => format!("sma-cross({},{})", s.fast_period(), s.slow_period()),
            Strategy::RsiReversion(_) => "rsi-reversion".to_string(),
            Strategy::Breakout(_) => "breakout".to_string(),
            Strategy::Model(m) => format!("model:{}", m.name()),
        }
    }

    /// The model version of a model strategy; `None` for rule strategies.
    pub fn version(&self) -> Option<String> {
        match self {
            Strategy::Model(m) => m.version().map(str::to_string),
            _ => None,
        }
    }

    /// True for rule strategies: they bypass the confidence gate.
    pub fn is_rule(&self) -> bool {
        !matches!(self, Strategy::Model(_))
    }
}

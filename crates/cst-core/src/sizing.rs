//! Position sizing: a fixed fraction of equity for rule signals; fractional Kelly from the
//! calibrated confidence and payoff for model signals, capped by configuration.

use crate::strategy::Target;
use crate::strategy::{ConfigError, check_range};
use serde::{Deserialize, Serialize};

/// Sizing settings (`[sizing]` in a strategy file).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SizingConfig {
    /// Fraction of equity a rule signal's full target allots (0..=1).
    pub fraction: f64,
    /// Multiplier on the Kelly fraction for model signals (0..=1; 0.25 = quarter Kelly).
    pub kelly_fraction: f64,
    /// Largest fraction of equity a model signal may allot (0..=1).
    pub max_fraction: f64,
}

impl Default for SizingConfig {
    fn default() -> Self {
        Self { fraction: 0.95, kelly_fraction: 0.25, max_fraction: 0.5 }
    }
}

impl SizingConfig {
    /// Range checks, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("sizing.fraction", self.fraction, 0.0, 1.0)?;
        check_range("sizing.kelly_fraction", self.kelly_fraction, 0.0, 1.0)?;
        check_range("sizing.max_fraction", self.max_fraction, 0.0, 1.0)
    }

    /// Fraction of equity to hold for this target.
    pub fn equity_fraction(&self, target: &Target) -> f64 {
        let f = target.fraction.clamp(0.0, 1.0);
        match (target.confidence, target.payoff) {
            (Some(p), Some(b)) => f * kelly(p, b, self.kelly_fraction).min(self.max_fraction),
            (Some(_), None) => 0.0,
            (None, _) => f * self.fraction,
        }
    }
}

/// Fractional Kelly `k * (p - (1 - p) / b)`, never negative (no edge, no bet).
pub fn kelly(p: f64, payoff: f64, k: f64) -> f64 {
    if !(p.is_finite() && payoff.is_finite() && payoff > 0.0) {
        return 0.0;
    }
    (k * (p - (1.0 - p) / payoff)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_signals_get_the_configured_fraction() {
        let s = SizingConfig::default();
        assert_eq!(s.equity_fraction(&Target::rule(1.0)), 0.95);
        assert_eq!(s.equity_fraction(&Target::rule(0.0)), 0.0);
    }

    #[test]
    fn model_signals_get_capped_fractional_kelly() {
        let s = SizingConfig { fraction: 0.95, kelly_fraction: 0.5, max_fraction: 0.2 };
        // p = 0.8, b = 2: full Kelly 0.7, half 0.35, capped 0.2.
        let t = Target { fraction: 1.0, confidence: Some(0.8), payoff: Some(2.0) };
        assert_eq!(s.equity_fraction(&t), 0.2);
        assert_eq!(kelly(0.4, 1.0, 1.0), 0.0);
    }

    #[test]
    fn refuses_fraction_above_one_naming_the_key() {
        let s = SizingConfig { fraction: 1.5, ..SizingConfig::default() };
        assert_eq!(
            s.validate().expect_err("range").to_string(),
            "`sizing.fraction` = 1.5 is out of range; allowed: 0..=1"
        );
    }
}

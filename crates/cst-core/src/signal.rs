//! The signal gate: a model signal passes only when its calibrated confidence reaches the
//! threshold (default 0.80). Rule signals carry no confidence and bypass it explicitly.

use crate::strategy::Target;
use serde::{Deserialize, Serialize};

/// Default minimum calibrated confidence for model signals.
pub const DEFAULT_THRESHOLD: f64 = 0.80;

/// Gate settings (`[gate]` in a strategy file).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    /// Minimum calibrated confidence (0.5..=1).
    pub threshold: f64,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self { threshold: DEFAULT_THRESHOLD }
    }
}

/// What the gate decided for one signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GateDecision {
    /// A model signal at or above the threshold.
    Pass,
    /// A model signal below the threshold (or with a confidence that is not a probability).
    Blocked {
        /// The confidence it had.
        confidence: f64,
    },
    /// A rule signal: the gate does not apply.
    NotApplicable,
}

/// The gate with its counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SignalGate {
    threshold: f64,
    /// Model signals passed.
    pub passed: u64,
    /// Model signals blocked.
    pub blocked: u64,
    /// Rule signals that bypassed the gate.
    pub not_applicable: u64,
}

impl SignalGate {
    /// A gate with the configured threshold.
    pub fn new(config: GateConfig) -> Self {
        Self { threshold: config.threshold, ..Self::default() }
    }

    /// Judges one signal and counts the outcome.
    pub fn check(&mut self, target: &Target) -> GateDecision {
        match target.confidence {
            None => {
                self.not_applicable += 1;
                GateDecision::NotApplicable
            }
            Some(p) if (0.0..=1.0).contains(&p) && p >= self.threshold => {
                self.passed += 1;
                GateDecision::Pass
            }
            Some(p) => {
                self.blocked += 1;
                GateDecision::Blocked { confidence: p }
            }
        }
    }

    /// One line for reports: "gate: not applicable" when only rule signals were seen.
    pub fn summary(&self) -> String {
        if self.passed + self.blocked == 0 {
            "gate: not applicable".to_string()
        } else {
            format!("gate: threshold {} passed {} blocked {}", self.threshold, self.passed, self.blocked)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(p: f64) -> Target {
        Target { fraction: 1.0, confidence: Some(p), payoff: Some(1.5) }
    }

    #[test]
    fn blocks_model_signal_below_080_and_passes_at_080() {
        let mut gate = SignalGate::new(GateConfig::default());
        assert_eq!(gate.check(&model(0.79)), GateDecision::Blocked { confidence: 0.79 });
        assert_eq!(gate.check(&model(0.80)), GateDecision::Pass);
        assert!(gate.check(&model(f64::NAN)) != GateDecision::Pass);
        assert_eq!((gate.passed, gate.blocked), (1, 2));
    }

    #[test]
    fn rule_signals_bypass_the_gate_explicitly() {
        let mut gate = SignalGate::new(GateConfig::default());
        assert_eq!(gate.check(&Target::rule(1.0)), GateDecision::NotApplicable);
        assert_eq!(gate.summary(), "gate: not applicable");
    }
}

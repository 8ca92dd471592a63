//! The confidence gate: a signal passes only when the calibrated probability reaches the threshold,
//! the conformal set holds the winning class alone, and no drift alarm is active. A refusal lists
//! every reason, so the engine and the dashboard can show why nothing was traded.

use crate::conformal::ClassSet;
use serde::{Deserialize, Serialize};

/// Gate settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// Minimum calibrated probability of a win.
    pub threshold: f64,
}

impl Default for Gate {
    fn default() -> Self {
        Self { threshold: 0.80 }
    }
}

/// Why the gate refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// The calibrated probability is below the threshold.
    LowConfidence {
        /// Calibrated probability.
        p: f64,
        /// Required threshold.
        threshold: f64,
    },
    /// The conformal set is empty or holds both classes.
    AmbiguousSet {
        /// The set.
        set: ClassSet,
    },
    /// The conformal set holds only the losing class.
    SetSaysLose,
    /// Drift alarms are active on these features or metrics.
    Drift {
        /// What drifted.
        alarms: Vec<String>,
    },
}

/// The gate's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Decision {
    /// Trade, with the stated confidence.
    Pass {
        /// Calibrated probability of a win.
        confidence: f64,
    },
    /// Do not trade, for these reasons (never empty).
    Refuse(Vec<Refusal>),
}

impl Decision {
    /// True for a pass.
    pub fn passed(&self) -> bool {
        matches!(self, Self::Pass { .. })
    }
}

impl Gate {
    /// Judges one prediction.
    pub fn decide(&self, p: f64, set: ClassSet, drift_alarms: &[String]) -> Decision {
        let mut why = Vec::new();
        if p.is_nan() || p < self.threshold {
            why.push(Refusal::LowConfidence { p, threshold: self.threshold });
        }
        if !set.is_single() {
            why.push(Refusal::AmbiguousSet { set });
        } else if !set.win {
            why.push(Refusal::SetSaysLose);
        }
        if !drift_alarms.is_empty() {
            why.push(Refusal::Drift { alarms: drift_alarms.to_vec() });
        }
        if why.is_empty() { Decision::Pass { confidence: p } } else { Decision::Refuse(why) }
    }
}

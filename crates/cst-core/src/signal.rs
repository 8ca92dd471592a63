//! The signal gate: a model signal passes only when its calibrated confidence reaches the
//! threshold (default 0.80). Rule signals carry no confidence and bypass it explicitly.

use crate::event::PairId;
use crate::risk::Rule;
use crate::strategy::Target;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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

/// Strategy decisions the engine keeps for the operator (the newest [`SIGNAL_LOG_LEN`]).
pub const SIGNAL_LOG_LEN: usize = 200;

/// What became of one strategy target.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "detail")]
pub enum SignalOutcome {
    /// Orders were placed (or scheduled) for it.
    Traded,
    /// The signal gate blocked it (model confidence below the threshold).
    Gated,
    /// The risk guard refused the order, by this rule.
    RiskRefused(Rule),
    /// The execution policy refused the approved order (its reason).
    ExecutionRefused(String),
    /// The operator paused new entries and the target asked for more exposure.
    Paused,
    /// The change was smaller than the pair's minimum order.
    BelowMinimum,
    /// The position already matched the target (or no price was known yet): nothing to do.
    Unchanged,
}

impl SignalOutcome {
    /// True when an order followed.
    pub fn is_traded(&self) -> bool {
        matches!(self, SignalOutcome::Traded)
    }

    /// The refusal reason in one kebab-case word or phrase (`None` when traded).
    pub fn reason(&self) -> Option<String> {
        match self {
            SignalOutcome::Traded => None,
            SignalOutcome::Gated => Some("gate: confidence below threshold".into()),
            SignalOutcome::RiskRefused(rule) => Some(format!("risk: {}", rule_name(*rule))),
            SignalOutcome::ExecutionRefused(why) => Some(format!("execution: {why}")),
            SignalOutcome::Paused => Some("paused".into()),
            SignalOutcome::BelowMinimum => Some("below minimum order".into()),
            SignalOutcome::Unchanged => Some("unchanged: position already at target".into()),
        }
    }
}

fn rule_name(rule: Rule) -> String {
    serde_json::to_value(rule).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{rule:?}"))
}

/// One strategy decision and its fate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalRecord {
    /// Which pair.
    pub pair: PairId,
    /// Exchange time of the bar that produced it (ns).
    pub time_ns: i64,
    /// Target position as a fraction of the allotted equity.
    pub target: f64,
    /// Calibrated confidence (model strategies only).
    pub confidence: Option<f64>,
    /// What became of it.
    pub outcome: SignalOutcome,
}

/// How many decisions ended in each outcome since start: the ring keeps only the newest, an
/// operator's dashboard and alerts need all of them (`cst_signals_total{outcome}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Orders followed.
    pub traded: u64,
    /// Blocked by the signal gate.
    pub gated: u64,
    /// Refused by a risk rule.
    pub risk_refused: u64,
    /// Refused by the execution policy.
    pub execution_refused: u64,
    /// Refused while entries were paused.
    pub paused: u64,
    /// Smaller than the pair's minimum order.
    pub below_minimum: u64,
    /// Nothing to do.
    pub unchanged: u64,
}

impl OutcomeCounts {
    fn count(&mut self, outcome: &SignalOutcome) {
        let slot = match outcome {
            SignalOutcome::Traded => &mut self.traded,
            SignalOutcome::Gated => &mut self.gated,
            SignalOutcome::RiskRefused(_) => &mut self.risk_refused,
            SignalOutcome::ExecutionRefused(_) => &mut self.execution_refused,
            SignalOutcome::Paused => &mut self.paused,
            SignalOutcome::BelowMinimum => &mut self.below_minimum,
            SignalOutcome::Unchanged => &mut self.unchanged,
        };
        *slot += 1;
    }

    /// Each count with its label (kebab-case, as the signal log names the outcomes).
    pub fn labelled(&self) -> [(&'static str, u64); 7] {
        [
            ("traded", self.traded),
            ("gated", self.gated),
            ("risk-refused", self.risk_refused),
            ("execution-refused", self.execution_refused),
            ("paused", self.paused),
            ("below-minimum", self.below_minimum),
            ("unchanged", self.unchanged),
        ]
    }
}

/// A bounded ring of the newest decisions; its storage is reserved once, so recording never
/// reallocates, and bars without a decision never touch it.
#[derive(Debug, Clone)]
pub struct SignalLog {
    ring: VecDeque<SignalRecord>,
    total: u64,
    counts: OutcomeCounts,
}

impl Default for SignalLog {
    fn default() -> Self {
        Self { ring: VecDeque::with_capacity(SIGNAL_LOG_LEN), total: 0, counts: OutcomeCounts::default() }
    }
}

impl SignalLog {
    /// Records one decision, dropping the oldest when full.
    pub fn push(&mut self, record: SignalRecord) {
        if self.ring.len() == SIGNAL_LOG_LEN {
            self.ring.pop_front();
        }
        self.counts.count(&record.outcome);
        self.ring.push_back(record);
        self.total += 1;
    }

    /// Decisions since start by outcome (they add up to [`Self::total`]).
    pub fn outcome_counts(&self) -> OutcomeCounts {
        self.counts
    }

    /// The kept decisions, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &SignalRecord> + ExactSizeIterator {
        self.ring.iter()
    }

    /// Decisions recorded since start (kept or not).
    pub fn total(&self) -> u64 {
        self.total
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

    fn record(k: i64) -> SignalRecord {
        SignalRecord { pair: PairId(0), time_ns: k, target: 1.0, confidence: None, outcome: SignalOutcome::Traded }
    }

    #[test]
    fn signal_log_keeps_the_newest_entries_and_counts_all() {
        let mut log = SignalLog::default();
        for k in 0..(SIGNAL_LOG_LEN as i64 + 5) {
            log.push(record(k));
        }
        assert_eq!(log.total(), SIGNAL_LOG_LEN as u64 + 5);
        assert_eq!(log.iter().len(), SIGNAL_LOG_LEN);
        assert_eq!(log.iter().next().map(|r| r.time_ns), Some(5));
        assert_eq!(log.iter().last().map(|r| r.time_ns), Some(SIGNAL_LOG_LEN as i64 + 4));
    }

    #[test]
    fn outcome_counts_cover_every_decision_including_those_the_ring_dropped() {
        let mut log = SignalLog::default();
        let outcomes = [
            SignalOutcome::Gated,
            SignalOutcome::RiskRefused(Rule::KillSwitch),
            SignalOutcome::ExecutionRefused("spread".into()),
            SignalOutcome::Paused,
            SignalOutcome::BelowMinimum,
            SignalOutcome::Unchanged,
        ];
        for k in 0..(SIGNAL_LOG_LEN as i64) {
            log.push(record(k));
        }
        for (k, o) in outcomes.iter().enumerate() {
            log.push(SignalRecord { outcome: o.clone(), ..record(1_000 + k as i64) });
        }
        let c = log.outcome_counts();
        assert_eq!(c.traded, SIGNAL_LOG_LEN as u64, "traded ones that fell out of the ring still count");
        assert_eq!(
            (c.gated, c.risk_refused, c.execution_refused, c.paused, c.below_minimum, c.unchanged),
            (1, 1, 1, 1, 1, 1)
        );
        assert_eq!(c.labelled().iter().map(|(_, n)| n).sum::<u64>(), log.total());
    }

    #[test]
    fn refusal_reasons_name_the_stage_and_rule() {
        assert_eq!(SignalOutcome::RiskRefused(Rule::KillSwitch).reason().as_deref(), Some("risk: kill-switch"));
        assert_eq!(SignalOutcome::Paused.reason().as_deref(), Some("paused"));
        assert_eq!(SignalOutcome::Traded.reason(), None);
    }

    #[test]
    fn rule_signals_bypass_the_gate_explicitly() {
        let mut gate = SignalGate::new(GateConfig::default());
        assert_eq!(gate.check(&Target::rule(1.0)), GateDecision::NotApplicable);
        assert_eq!(gate.summary(), "gate: not applicable");
    }
}

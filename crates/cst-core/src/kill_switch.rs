//! The kill switch: progressive escalation normal → warn → reduce-only → flatten → halt. It only
//! moves up on its own; going back to normal takes an explicit reset. Every move is recorded
//! with its trigger and reason.

use crate::event::KillLevel;
use serde::Serialize;

/// One recorded move of the kill switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KillTransition {
    /// Level before.
    pub from: KillLevel,
    /// Level after.
    pub to: KillLevel,
    /// What fired it (`drawdown`, `daily-loss`, `operator`, `flatten-complete`, `reset`).
    pub trigger: String,
    /// Human-readable detail.
    pub reason: String,
    /// When (ns).
    pub at_ns: i64,
}

/// The switch and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KillSwitch {
    level: KillLevel,
    history: Vec<KillTransition>,
}

impl Default for KillSwitch {
    fn default() -> Self {
        Self { level: KillLevel::Normal, history: Vec::new() }
    }
}

impl KillSwitch {
    /// Current level.
    pub fn level(&self) -> KillLevel {
        self.level
    }

    /// Every transition so far.
    pub fn history(&self) -> &[KillTransition] {
        &self.history
    }

    /// Raises the level to `to` when that is higher; lower or equal requests change nothing.
    pub fn escalate(&mut self, to: KillLevel, trigger: &str, reason: String, at_ns: i64) -> Option<KillTransition> {
        if to <= self.level {
            return None;
        }
        Some(self.record(to, trigger, reason, at_ns))
    }

    /// Explicit return to normal.
    pub fn reset(&mut self, reason: String, at_ns: i64) -> Option<KillTransition> {
        if self.level == KillLevel::Normal {
            return None;
        }
        Some(self.record(KillLevel::Normal, "reset", reason, at_ns))
    }

    fn record(&mut self, to: KillLevel, trigger: &str, reason: String, at_ns: i64) -> KillTransition {
        let t = KillTransition { from: self.level, to, trigger: trigger.to_string(), reason, at_ns };
        self.level = to;
        self.history.push(t.clone());
        t
    }
}

//! Health of the supervised agents: a state per agent, its restart count and last error, shared
//! between the supervisor (which restarts), the agents (which report) and the API (which shows).

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Where an agent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Started, not yet doing its work.
    Starting,
    /// Working normally.
    Healthy,
    /// Working with a handicap (e.g. Redis unreachable, retrying a write).
    Degraded,
    /// Crashed; waiting for its restart.
    Failed,
}

/// One agent's health as shown to operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentHealth {
    /// Agent name.
    pub name: String,
    /// Current state.
    pub state: HealthState,
    /// Restarts after failures.
    pub restarts: u64,
    /// What the agent says about itself (the reason when degraded or failed).
    pub detail: String,
}

/// The registry of every agent's health.
#[derive(Debug, Clone, Default)]
pub struct HealthBoard {
    agents: Arc<Mutex<BTreeMap<String, AgentHealth>>>,
}

impl HealthBoard {
    /// Sets an agent's state and detail (registering it on first use).
    pub fn set(&self, name: &str, state: HealthState, detail: impl Into<String>) {
        let mut agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        let entry = agents.entry(name.to_string()).or_insert_with(|| AgentHealth {
            name: name.to_string(),
            state,
            restarts: 0,
            detail: String::new(),
        });
        entry.state = state;
        entry.detail = detail.into();
    }

    /// Counts one restart of an agent.
    pub fn count_restart(&self, name: &str) {
        let mut agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = agents.get_mut(name) {
            a.restarts += 1;
        }
    }

    /// Every agent, by name.
    pub fn all(&self) -> Vec<AgentHealth> {
        self.agents.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// One agent.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<AgentHealth> {
        self.agents.lock().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_keeps_state_detail_and_restart_count_per_agent() {
        let board = HealthBoard::default();
        board.set("engine", HealthState::Starting, "");
        board.set("engine", HealthState::Failed, "panicked");
        board.count_restart("engine");
        board.set("engine", HealthState::Healthy, "running");
        let a = board.get("engine").unwrap();
        assert_eq!((a.state, a.restarts, a.detail.as_str()), (HealthState::Healthy, 1, "running"));
        assert_eq!(board.all().len(), 1);
    }
}

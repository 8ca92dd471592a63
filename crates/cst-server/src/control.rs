//! Operator commands from the API to the engine: the server sends [`ControlRequest`]s on a
//! bounded `mpsc` channel; the runtime's engine task receives them and turns them into
//! `cst_core` control events (pause/resume gate new entries; reduce-only, flatten and halt
//! escalate the kill switch, which never de-escalates on its own).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use tokio::sync::mpsc;

/// How many commands may wait for the engine before the API answers 503.
pub const CONTROL_QUEUE_LEN: usize = 64;

/// One operator command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlCommand {
    /// Stop opening new positions; exits continue.
    Pause,
    /// Undo a pause (does not lower the kill switch).
    Resume,
    /// Kill switch to reduce-only.
    ReduceOnly,
    /// Kill switch to flatten: close everything.
    Flatten,
    /// Kill switch to halt: nothing at all.
    Halt,
}

impl ControlCommand {
    /// Every command, in URL form order.
    pub const ALL: [ControlCommand; 5] = [
        ControlCommand::Pause,
        ControlCommand::Resume,
        ControlCommand::ReduceOnly,
        ControlCommand::Flatten,
        ControlCommand::Halt,
    ];

    /// The URL segment (`reduce-only`).
    pub fn as_str(self) -> &'static str {
        match self {
            ControlCommand::Pause => "pause",
            ControlCommand::Resume => "resume",
            ControlCommand::ReduceOnly => "reduce-only",
            ControlCommand::Flatten => "flatten",
            ControlCommand::Halt => "halt",
        }
    }
}

impl fmt::Display for ControlCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A control name that is not one of [`ControlCommand::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown control {0:?}: expected one of pause, resume, reduce-only, flatten, halt")]
pub struct UnknownControl(pub String);

impl FromStr for ControlCommand {
    type Err = UnknownControl;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ControlCommand::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownControl(s.to_string()))
    }
}

/// A validated command with its audit fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRequest {
    /// What to do.
    pub command: ControlCommand,
    /// Why (operator's words, 1–200 characters).
    pub reason: String,
    /// Wall-clock time the API accepted it (ns since the Unix epoch); the engine stamps its own
    /// event time when it applies it.
    pub requested_at_ns: i64,
}

/// Creates the command channel: the sender goes to the server, the receiver to the engine task.
pub fn channel() -> (mpsc::Sender<ControlRequest>, mpsc::Receiver<ControlRequest>) {
    mpsc::channel(CONTROL_QUEUE_LEN)
}

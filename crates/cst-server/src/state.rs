//! The shared, always-current snapshot: the runtime publishes, the API and the SSE stream read.
//!
//! A `tokio::sync::watch` channel of `Arc<SystemSnapshot>`: readers never block the engine
//! (a read is one `Arc` clone) and SSE subscribers wake on publishes.
//!
//! Publish at most every [`PUBLISH_INTERVAL_MS`] while replaying at full speed (plus once at the
//! end): each publish builds a full snapshot, and the request that drops the last reference to an
//! old one pays for freeing it, so publishing on every engine event would load the API for
//! nothing a person can see.

use crate::snapshot::SystemSnapshot;
use std::sync::Arc;
use tokio::sync::watch;

/// Recommended shortest time between two publishes from a busy engine.
pub const PUBLISH_INTERVAL_MS: u64 = 10;

/// Cheap-to-clone handle on the latest snapshot.
#[derive(Debug, Clone)]
pub struct SharedState {
    tx: Arc<watch::Sender<Arc<SystemSnapshot>>>,
}

impl SharedState {
    /// A state holding `initial`.
    pub fn new(initial: SystemSnapshot) -> Self {
        let (tx, _rx) = watch::channel(Arc::new(initial.bounded()));
        Self { tx: Arc::new(tx) }
    }

    /// Replaces the snapshot (bounded to [`crate::snapshot::MAX_LIST_LEN`]) and wakes subscribers.
    pub fn publish(&self, snapshot: SystemSnapshot) {
        self.tx.send_replace(Arc::new(snapshot.bounded()));
    }

    /// Edits a copy of the current snapshot and publishes it.
    pub fn update(&self, edit: impl FnOnce(&mut SystemSnapshot)) {
        let mut next = (*self.current()).clone();
        edit(&mut next);
        self.publish(next);
    }

    /// The latest snapshot.
    pub fn current(&self) -> Arc<SystemSnapshot> {
        self.tx.borrow().clone()
    }

    /// A receiver that sees every later publish.
    pub fn subscribe(&self) -> watch::Receiver<Arc<SystemSnapshot>> {
        self.tx.subscribe()
    }
}

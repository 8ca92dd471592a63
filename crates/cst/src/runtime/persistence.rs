//! The persistence agent: writes the engine's journal batches to the store, one transaction per
//! batch with its checkpoint, in order. A failed write is retried with growing pauses (the
//! agent reports itself degraded meanwhile) and never skipped, so the journal has no holes.

use super::health::{HealthBoard, HealthState};
use super::supervisor::{Backoff, Shutdown};
use cst_store::Store;
use cst_store::journal::JournalBatch;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::{Mutex, mpsc};

/// Everything the persistence agent needs; cloned for every (re)start.
#[derive(Clone)]
pub struct PersistenceAgent {
    /// The store.
    pub store: Store,
    /// The run.
    pub run_id: String,
    /// Batches from the engine agent (kept across restarts).
    pub batches: Arc<Mutex<mpsc::Receiver<JournalBatch>>>,
    /// Events committed so far (the checkpoint), for the engine agent's rebuilds.
    pub persisted: Arc<AtomicI64>,
    /// Health board.
    pub board: HealthBoard,
    /// Shutdown signal.
    pub stop: Shutdown,
}

impl PersistenceAgent {
    /// Writes batches until the engine agent is gone (at shutdown, after its last batch).
    pub async fn run(self) -> anyhow::Result<()> {
        let mut rx = self.batches.lock().await;
        self.board.set("persistence", HealthState::Healthy, format!("journal in {}", self.store.backend()));
        while let Some(batch) = rx.recv().await {
            self.write(&batch).await;
        }
        Ok(())
    }

    async fn write(&self, batch: &JournalBatch) {
        let backoff = Backoff { first: std::time::Duration::from_millis(100), ..Backoff::default() };
        let mut attempt = 0;
        loop {
            match self.store.write_journal(&self.run_id, batch).await {
                Ok(()) => {
                    self.persisted.fetch_max(batch.events, Ordering::SeqCst);
                    if attempt > 0 {
                        self.board.set("persistence", HealthState::Healthy, "journal writes recovered");
                    }
                    return;
                }
                Err(e) => {
                    let detail = format!("journal write failed (attempt {}): {e}", attempt + 1);
                    eprintln!("{detail}");
                    self.board.set("persistence", HealthState::Degraded, detail);
                    if *self.stop.borrow() && attempt >= 3 {
                        eprintln!("giving up on a journal batch at shutdown; the restart rebuilds it");
                        return;
                    }
                    tokio::time::sleep(backoff.pause(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }
}

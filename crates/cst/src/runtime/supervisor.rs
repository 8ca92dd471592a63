//! Supervision: each agent runs as its own tokio task; when it fails (an error or a panic) it is
//! restarted after an exponentially growing pause, and its health and restart count are kept on
//! the [`HealthBoard`]. An agent that returns `Ok` has finished its work and is not restarted.

use super::health::{HealthBoard, HealthState};
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// Restart pauses: `first`, doubling up to `max`; reset after an agent ran `stable` without failing.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Pause before the first restart.
    pub first: Duration,
    /// Longest pause.
    pub max: Duration,
    /// A run this long counts as recovered (the next failure starts again at `first`).
    pub stable: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { first: Duration::from_millis(200), max: Duration::from_secs(30), stable: Duration::from_secs(60) }
    }
}

impl Backoff {
    /// The pause before restart number `n` (0-based).
    pub fn pause(&self, n: u32) -> Duration {
        self.first.saturating_mul(2u32.saturating_pow(n.min(16))).min(self.max)
    }
}

/// The shutdown signal every agent watches (`true` = stop).
pub type Shutdown = watch::Receiver<bool>;

/// Resolves once shutdown is signalled (or its sender is gone).
pub async fn stopped(stop: &mut Shutdown) {
    let _ = stop.wait_for(|s| *s).await.is_ok();
}

/// Runs `make()` as a task until it finishes with `Ok` or shutdown is signalled, restarting it
/// with backoff after each failure.
pub async fn supervise<F, Fut>(
    name: &'static str,
    board: HealthBoard,
    backoff: Backoff,
    mut stop: Shutdown,
    mut make: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut failures = 0u32;
    let mut last_failure = String::new();
    loop {
        board.set(name, HealthState::Starting, last_failure.clone());
        let started = tokio::time::Instant::now();
        let outcome = tokio::spawn(make()).await;
        let reason = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => format!("{e:#}"),
            Err(join) if join.is_panic() => format!("panicked: {join}"),
            Err(join) => format!("cancelled: {join}"),
        };
        if *stop.borrow() {
            return;
        }
        if started.elapsed() >= backoff.stable {
            failures = 0;
        }
        let pause = backoff.pause(failures);
        failures = failures.saturating_add(1);
        eprintln!("agent {name} failed ({reason}); restarting in {} ms", pause.as_millis());
        board.set(name, HealthState::Failed, reason.clone());
        board.count_restart(name);
        last_failure = format!("restarted after: {reason}");
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stopped(&mut stop) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff { first: Duration::from_millis(100), max: Duration::from_secs(1), stable: Duration::ZERO };
        let pauses: Vec<u128> = (0..6).map(|n| b.pause(n).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1000, 1000]);
    }

    #[tokio::test]
    async fn restarts_a_failing_agent_until_it_succeeds_and_counts_restarts() {
        let board = HealthBoard::default();
        let (_tx, rx) = watch::channel(false);
        let runs = Arc::new(AtomicU32::new(0));
        let backoff = Backoff { first: Duration::from_millis(1), max: Duration::from_millis(4), stable: Duration::MAX };
        let counter = runs.clone();
        supervise("flaky", board.clone(), backoff, rx, move || {
            let counter = counter.clone();
            async move {
                match counter.fetch_add(1, Ordering::SeqCst) {
                    0 => anyhow::bail!("first failure"),
                    1 => panic!("second failure"),
                    _ => Ok(()),
                }
            }
        })
        .await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let h = board.get("flaky").unwrap();
        assert_eq!(h.restarts, 2);
        assert!(h.detail.contains("second failure"), "{}", h.detail);
    }

    #[tokio::test]
    async fn shutdown_stops_restarting() {
        let board = HealthBoard::default();
        let (tx, rx) = watch::channel(false);
        let backoff =
            Backoff { first: Duration::from_secs(3600), max: Duration::from_secs(3600), stable: Duration::MAX };
        let task = tokio::spawn(supervise("doomed", board.clone(), backoff, rx, || async { anyhow::bail!("always") }));
        while board.get("doomed").is_none_or(|h| h.restarts == 0) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tx.send_replace(true);
        task.await.unwrap();
        assert_eq!(board.get("doomed").unwrap().state, HealthState::Failed);
    }
}

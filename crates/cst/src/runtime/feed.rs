//! The market-event feed between the market-data agent and the engine: an append-only log of
//! bars. Because it is a log rather than a queue, a restarted engine rebuilds its state by
//! reading it again from the start (the engine is deterministic), and a restarted market-data
//! agent continues where the log ends.

use cst_core::event::Bar;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug, Default)]
struct Log {
    bars: Vec<Bar>,
    closed: bool,
}

/// Shared handle on the feed.
#[derive(Debug, Clone)]
pub struct Feed {
    log: Arc<Mutex<Log>>,
    len: watch::Sender<usize>,
}

impl Default for Feed {
    fn default() -> Self {
        Self { log: Arc::default(), len: watch::Sender::new(0) }
    }
}

impl Feed {
    /// Appends bars and wakes readers.
    pub fn push(&self, bars: &[Bar]) {
        let n = {
            let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            log.bars.extend_from_slice(bars);
            log.bars.len()
        };
        self.len.send_replace(n);
    }

    /// Marks the end of the stream (a finished replay).
    pub fn close(&self) {
        let n = {
            let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            log.closed = true;
            log.bars.len()
        };
        self.len.send_modify(|v| *v = n);
    }

    /// Bars published so far.
    pub fn published(&self) -> usize {
        *self.len.borrow()
    }

    /// True once the stream has ended.
    pub fn is_closed(&self) -> bool {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).closed
    }

    /// Copies bars `from..` (at most `max`) into `out`.
    pub fn read(&self, from: usize, max: usize, out: &mut Vec<Bar>) {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let end = log.bars.len().min(from.saturating_add(max));
        if from < end {
            out.extend_from_slice(&log.bars[from..end]);
        }
    }

    /// Waits until more than `seen` bars exist or the stream is closed.
    pub async fn wait_beyond(&self, seen: usize) {
        let mut rx = self.len.subscribe();
        let _ = rx.wait_for(|n| *n > seen || self.is_closed()).await;
    }
}

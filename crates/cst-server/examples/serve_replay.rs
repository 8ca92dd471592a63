//! Load-test target: serves the API over the session replayed from real Kraken candles while an
//! engine stand-in thread runs flat out on one core (each step appends the next real equity
//! point to its own snapshot) and publishes every `PUBLISH_INTERVAL_MS`, as the runtime does. Needs `CST_API_TOKEN`; listens on
//! `CST_LISTEN` (default 127.0.0.1:8088); stops after `CST_SERVE_SECS` (default 120) seconds.
//!
//! `cargo run --release -p cst-server --example serve_replay`, then `wrk` against it.

#[path = "../tests/session/mod.rs"]
mod session;

use cst_server::auth::ApiTokens;
use cst_server::secret::Secret;
use cst_server::state::{PUBLISH_INTERVAL_MS, SharedState};
use cst_server::{ServerParts, control, metrics, router, serve};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("CST_API_TOKEN")?;
    let listen = std::env::var("CST_LISTEN").unwrap_or_else(|_| "127.0.0.1:8088".into());
    let secs: u64 = std::env::var("CST_SERVE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(120);
    let replayed = session::replayed_session();
    let state = SharedState::new(replayed.clone());
    let (tx, _rx) = control::channel();
    let parts = ServerParts {
        state: state.clone(),
        controls: tx,
        tokens: ApiTokens::new(Secret::new(token), None)?,
        metrics: metrics::install()?,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let published = Arc::new(AtomicU64::new(0));
    let publisher = {
        let (stop, published) = (stop.clone(), published.clone());
        std::thread::spawn(move || {
            let mut snap = replayed;
            let curve = snap.equity.clone();
            snap.equity.truncate(1);
            let mut i = 1;
            let mut last = std::time::Instant::now();
            let every = Duration::from_millis(PUBLISH_INTERVAL_MS);
            while !stop.load(Ordering::Relaxed) {
                snap.equity.push(curve[i % curve.len()].clone());
                snap.as_of = Some(curve[i % curve.len()].time.clone());
                i += 1;
                if snap.equity.len() > 2 * cst_server::snapshot::MAX_LIST_LEN {
                    snap.equity.drain(..cst_server::snapshot::MAX_LIST_LEN);
                }
                if last.elapsed() >= every {
                    state.publish(snap.clone());
                    published.fetch_add(1, Ordering::Relaxed);
                    last = std::time::Instant::now();
                }
            }
            i
        })
    };
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, router(parts), tokio::time::sleep(Duration::from_secs(secs))).await?;
    stop.store(true, Ordering::Relaxed);
    let steps = publisher.join().unwrap_or(0);
    println!("engine steps: {steps}, snapshots published: {}", published.load(Ordering::Relaxed));
    Ok(())
}

//! Crash safety of `cst run` on real data: a replay killed with SIGKILL mid-way and restarted
//! with the same arguments ends with exactly the orders, fills, ledger journal, positions and
//! risk state of an uninterrupted run, and no client order id appears twice.
#![allow(clippy::unwrap_used)]

mod run_support;

use cst_store::Store;
use run_support::{API_TOKEN, Home, http_post, journal};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Equal lists, or a panic naming the first difference (the lists are long).
fn same<T: PartialEq + std::fmt::Debug>(what: &str, got: &[T], want: &[T]) {
    if let Some(k) = (0..got.len().max(want.len())).find(|&k| got.get(k) != want.get(k)) {
        panic!("{what} differ at {k} ({} vs {} rows): {:?} vs {:?}", got.len(), want.len(), got.get(k), want.get(k));
    }
}

/// Journaled events of `run_id` (0 before the run exists).
async fn journaled_events(url: &str, run_id: &str) -> i64 {
    let store = Store::open(url).await.unwrap();
    store.run(run_id).await.unwrap().map_or(0, |r| r.events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_mid_replay_then_restart_matches_an_uninterrupted_run() {
    let clean = Home::sqlite();
    clean.import_xbt();
    let mut run = clean.spawn_run("0");
    let run_id = run.run_id();
    run.wait_line("replay finished", Duration::from_secs(300));
    run.terminate();
    let expected = journal(&clean.url(), &run_id).await;

    let crashed = Home::sqlite();
    crashed.import_xbt();
    // About 10 s for the year, so the kill lands mid-replay.
    let mut run = crashed.spawn_run("3000000");
    assert_eq!(run.run_id(), run_id, "same arguments, same run");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut events = 0;
    while events < 2000 {
        assert!(Instant::now() < deadline, "replay made no progress");
        tokio::time::sleep(Duration::from_millis(50)).await;
        events = journaled_events(&crashed.url(), &run_id).await;
    }
    run.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    run.child.wait().unwrap();
    let at_kill = journaled_events(&crashed.url(), &run_id).await;
    assert!(at_kill < 8757, "killed mid-replay, not after it ({at_kill} events)");
    let partial = journal(&crashed.url(), &run_id).await;
    assert!(partial.orders.len() < expected.orders.len());

    let mut again = crashed.spawn_run("0");
    assert_eq!(again.run_id(), run_id);
    let start = again.wait_line("start #2", Duration::from_secs(60));
    assert!(start.contains(&format!("{at_kill} events journaled")), "{start}");
    again.wait_line("replay finished", Duration::from_secs(300));
    again.terminate();
    let resumed = journal(&crashed.url(), &run_id).await;

    same("orders", &resumed.orders, &expected.orders);
    same("fills", &resumed.fills, &expected.fills);
    same("ledger journal", &resumed.ledger, &expected.ledger);
    same("positions", &resumed.positions, &expected.positions);
    assert_eq!(resumed.risk, expected.risk, "risk state and equity");
    let ids: HashSet<&str> = resumed.orders.iter().map(|o| o.client_order_id.as_str()).collect();
    assert_eq!(ids.len(), resumed.orders.len(), "every client order id once");
    // What was journaled before the crash is kept (only the status of an order working at the
    // crash moves on, e.g. accepted → done).
    let ids = |o: &[cst_store::journal::OrderRecord]| o.iter().map(|o| o.client_order_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&partial.orders), ids(&resumed.orders[..partial.orders.len()]));
    same("fills before the crash", &partial.fills, &resumed.fills[..partial.fills.len()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_halt_is_journaled_and_survives_a_crash_and_restart() {
    let home = Home::sqlite();
    home.import_xbt();
    let mut run = home.spawn_run("3000000");
    let addr = run.api_addr();
    let run_id = run.run_id();
    let deadline = Instant::now() + Duration::from_secs(120);
    while journaled_events(&home.url(), &run_id).await < 1500 {
        assert!(Instant::now() < deadline, "replay made no progress");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = r#"{"reason": "crash drill"}"#;
    assert_eq!(http_post(&addr, "/api/v1/controls/halt", API_TOKEN, body), 202);
    let store = Store::open(&home.url()).await.unwrap();
    let mut controls = Vec::new();
    while controls.is_empty() {
        assert!(Instant::now() < deadline, "halt never journaled");
        tokio::time::sleep(Duration::from_millis(20)).await;
        controls = store.journal_controls(&run_id).await.unwrap();
    }
    assert_eq!((controls[0].command.as_str(), controls[0].reason.as_str()), ("halt", "crash drill"));
    let orders_at_halt = store.journal_orders(&run_id).await.unwrap().len();
    run.child.kill().unwrap();
    run.child.wait().unwrap();

    let mut again = home.spawn_run("0");
    again.wait_line("replay finished", Duration::from_secs(300));
    again.terminate();
    let j = journal(&home.url(), &run_id).await;
    assert_eq!(j.risk.unwrap().kill_level, "halt", "the rebuilt engine is halted where the operator halted it");
    assert_eq!(j.orders.len(), orders_at_halt, "no order after the halt, before or after the crash");
    assert_eq!(store.journal_controls(&run_id).await.unwrap(), controls);
}

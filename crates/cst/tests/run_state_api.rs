//! What `cst run --replay-store` publishes on `/api/v1` comes from the running engine: its open
//! orders, its signal log (counted exactly like `cst backtest` counts signals), the quality
//! gate's report on the replayed series, the strategy driving each pair and the configured risk
//! limits. And the operator's pause and resume change what the engine does.
#![allow(clippy::unwrap_used)]

mod run_support;

use cst_core::backtest::bars::parse_ohlcvt;
use cst_core::interval::Interval;
use cst_core::quality::{GateMode, assess};
use cst_core::time::Timestamp;
use run_support::{API_TOKEN, Home, XBT_HOURLY, http_get, http_post};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The example strategy with every risk limit set (so "limits equal config" is not a default).
fn guarded_strategy() -> String {
    format!("{}/../../examples/strategies/guarded-sma-cross.toml", env!("CARGO_MANIFEST_DIR"))
}

/// The replay ends on the hour whose close makes sma-cross(12,48) buy (found with `cst backtest`:
/// the entry fill at 2019-12-28T00:00), so that buy is still working when the replay ends.
const FROM: &str = "2019-01-01T00:00:00Z";
const TO: &str = "2019-12-27T23:00:00Z";

fn get(addr: &str, path: &str) -> Value {
    let (status, body) = http_get(addr, path, Some(API_TOKEN));
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Polls the snapshot until `done` holds (the publisher runs every 50 ms).
fn wait_snapshot(addr: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = get(addr, "/api/v1/snapshot");
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "never: {what}; last snapshot risk {}", s["risk"]);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ns(rfc3339: &str) -> i64 {
    Timestamp::parse(rfc3339).unwrap().as_nanos()
}

#[test]
fn published_snapshot_carries_the_engines_orders_signals_quality_models_and_limits() {
    let home = Home::sqlite();
    home.import_xbt();
    let strategy = guarded_strategy();
    let args: Vec<String> = [
        "run",
        "--replay-store",
        "--pairs",
        "XBT/USD",
        "--interval",
        "1h",
        "--strategy",
        &strategy,
        "--speed",
        "0",
        "--from",
        FROM,
        "--to",
        TO,
        "--listen",
        "127.0.0.1:0",
        "--redis",
        "",
    ]
    .map(String::from)
    .to_vec();
    let mut run = home.spawn(&args);
    let addr = run.api_addr();
    run.wait_line("replay finished", Duration::from_secs(300));

    let report_dir = home.dir.path().join("report");
    let out = home
        .cmd()
        .args(["backtest", "--pairs", "XBT/USD", "--interval", "1h", "--strategy", &strategy, "--from", FROM])
        .args(["--to", TO, "--report"])
        .arg(&report_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap()).unwrap();
    let backtest_signals = report["counters"]["signals"].as_u64().unwrap();
    let snap = wait_snapshot(&addr, "final state published", |s| s["counters"]["signals"] == json!(backtest_signals));

    // Signals: the engine's bounded log, counted like the backtest's engine counter.
    assert!(backtest_signals > 200, "a year of sma-cross(12,48) ({backtest_signals} signals)");
    let signals = get(&addr, "/api/v1/signals");
    assert_eq!(signals["count"], json!(200), "the newest 200 are kept");
    let items = signals["items"].as_array().unwrap();
    assert!(items.iter().all(|s| s["confidence"].is_null() && s["source"] == json!("sma-cross(12,48)")));
    let last = items.last().unwrap();
    assert_eq!((&last["direction"], &last["outcome"]), (&json!("long"), &json!("accepted")), "{last}");
    assert_eq!(last["time"], snap["as_of"], "decided on the last replayed bar");

    // Open orders: that last decision's market buy has no later bar to fill on.
    let orders = get(&addr, "/api/v1/orders");
    assert_eq!(orders["count"], json!(1), "{orders}");
    let o = &orders["items"][0];
    assert_eq!((&o["pair"], &o["side"], &o["kind"]), (&json!("XBT/USD"), &json!("buy"), &json!("market")), "{o}");
    assert!(["sent", "accepted"].contains(&o["status"].as_str().unwrap()), "{o}");
    assert_eq!((&o["placed_at"], &o["age_secs"]), (&snap["as_of"], &json!(0)));
    assert!(o["qty"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);

    // Data quality: the gate's report on exactly the replayed rows.
    let rows = parse_ohlcvt(&cst_testdata::read_text(XBT_HOURLY)).0;
    let (lo, hi) = (ns(FROM) / 1_000_000_000, ns(TO) / 1_000_000_000);
    let replayed: Vec<_> = rows.into_iter().filter(|r| (lo..=hi).contains(&r.time)).collect();
    let expected = assess("XBT/USD", Interval::H1, &replayed, None, GateMode::Research);
    let quality = get(&addr, "/api/v1/quality");
    assert_eq!(quality["count"], json!(1));
    let q = &quality["items"][0];
    assert_eq!(q["rows"], json!(expected.rows));
    assert_eq!(q["gap_count"], json!(expected.completeness.gap_count));
    assert_eq!(q["missing"], json!(expected.completeness.missing));
    assert_eq!(q["last"], json!(expected.last));
    assert_eq!(q["tradable"], json!(true), "research mode: an old series is reported, not blocked");
    assert!(q["age_secs"].as_i64().unwrap() > 5 * 365 * 86_400, "2019 data is years old: {q}");
    let (_, metrics) = http_get(&addr, "/metrics", None);
    assert!(metrics.contains(r#"cst_data_quality_tradable{pair="XBT/USD",interval="1h"} 1"#), "{metrics}");
    // Every signal since start, by outcome (the log above keeps only the newest 200): they add up
    // to the backtest's count, and the last one traded.
    let by_outcome: Vec<(String, u64)> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("cst_signals_total{outcome=\""))
        .filter_map(|l| l.split_once("\"} ").map(|(o, n)| (o.to_string(), n.parse().unwrap())))
        .collect();
    assert_eq!(by_outcome.len(), 7, "{metrics}");
    assert_eq!(by_outcome.iter().map(|(_, n)| n).sum::<u64>(), backtest_signals, "{by_outcome:?}");
    assert!(by_outcome.iter().any(|(o, n)| o == "traded" && *n > 0), "{by_outcome:?}");

    // Models: the strategy driving the pair.
    let models = get(&addr, "/api/v1/models");
    assert_eq!(
        models["items"],
        json!([{"name": "sma-cross(12,48)", "version": "rule", "pairs": ["XBT/USD"], "trained_at": null,
                "status": "active", "score": null}])
    );

    // Risk limits: exactly the strategy file's `[risk]` table.
    let file = cst_core::strategy::parse_strategy_file(&std::fs::read_to_string(&strategy).unwrap()).unwrap();
    let risk = get(&addr, "/api/v1/risk");
    assert_eq!(risk["limits"], serde_json::to_value(&file.engine.risk).unwrap());
    assert_eq!(risk["max_drawdown_ratio"], json!(0.6));
    assert!(risk["daily_loss_limit"].as_str().unwrap().parse::<f64>().unwrap() > 0.0, "10 % of the day's equity");
    assert_eq!(risk["paused"], json!(false));
    run.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_then_resume_over_the_api_stops_entries_then_trades_again() {
    let home = Home::sqlite();
    home.import_xbt();
    // About 30 s for the year: time to pause and resume mid-replay.
    let mut run = home.spawn_run("1000000");
    let addr = run.api_addr();
    let run_id = run.run_id();

    assert_eq!(http_post(&addr, "/api/v1/controls/pause", API_TOKEN, r#"{"reason": "pause drill"}"#), 202);
    let paused = wait_snapshot(&addr, "engine paused", |s| s["risk"]["paused"] == json!(true));
    let paused_from = ns(paused["as_of"].as_str().unwrap());
    let refused = wait_snapshot(&addr, "an entry refused as paused", |s| {
        s["signals"].as_array().unwrap().iter().any(|x| x["reason"] == json!("paused"))
    });
    assert_eq!(refused["risk"]["paused"], json!(true));
    let entry = refused["signals"].as_array().unwrap().iter().find(|x| x["reason"] == json!("paused")).unwrap();
    assert_eq!((&entry["direction"], &entry["outcome"]), (&json!("long"), &json!("refused")));
    let paused_to = ns(refused["as_of"].as_str().unwrap());
    assert_eq!(http_post(&addr, "/api/v1/controls/resume", API_TOKEN, r#"{"reason": "resume drill"}"#), 202);
    wait_snapshot(&addr, "engine resumed", |s| s["risk"]["paused"] == json!(false));
    run.wait_line("replay finished", Duration::from_secs(300));
    run.terminate();

    let store = cst_store::Store::open(&home.url()).await.unwrap();
    let controls: Vec<String> = store.journal_controls(&run_id).await.unwrap().into_iter().map(|c| c.command).collect();
    assert_eq!(controls, ["pause", "resume"], "both journaled, so a restart re-applies them in place");
    let orders = store.journal_orders(&run_id).await.unwrap();
    let buys =
        |lo: i64, hi: i64| orders.iter().filter(|o| o.side == "buy" && o.decided_ns > lo && o.decided_ns <= hi).count();
    assert!(paused_to > paused_from, "the replay moved on while paused");
    assert_eq!(buys(paused_from, paused_to), 0, "no entry while paused");
    assert!(buys(paused_to, i64::MAX) > 0, "entries again after resume");
}

fn open_qty(s: &Value) -> f64 {
    s["positions"].as_array().unwrap().iter().map(|p| p["qty"].as_str().unwrap().parse::<f64>().unwrap()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reduce_only_then_flatten_over_the_api_stop_entries_then_close_the_position_and_halt() {
    let home = Home::sqlite();
    home.import_xbt();
    // About 30 s for the year: time to act while the replay runs.
    let mut run = home.spawn_run("1000000");
    let addr = run.api_addr();
    let run_id = run.run_id();

    let exposed = wait_snapshot(&addr, "a position is open", |s| open_qty(s) > 0.0);
    assert_eq!(http_post(&addr, "/api/v1/controls/reduce-only", API_TOKEN, r#"{"reason": "reduce drill"}"#), 202);
    let reduced = wait_snapshot(&addr, "engine reduce-only", |s| s["risk"]["kill_level"] == json!("reduce-only"));
    let reduced_from = ns(reduced["as_of"].as_str().unwrap());
    assert!(ns(reduced["as_of"].as_str().unwrap()) >= ns(exposed["as_of"].as_str().unwrap()));

    assert_eq!(http_post(&addr, "/api/v1/controls/flatten", API_TOKEN, r#"{"reason": "flatten drill"}"#), 202);
    // Flatten sells what is held (reduce-only lets the strategy's own exit through, so the
    // position may already be closed); once nothing is held the switch halts.
    let halted = wait_snapshot(&addr, "flattened and halted", |s| {
        s["risk"]["kill_level"] == json!("halt") && open_qty(s) == 0.0
    });
    assert_eq!(halted["risk"]["last_transition"]["trigger"], json!("flatten-complete"), "{}", halted["risk"]);
    run.wait_line("replay finished", Duration::from_secs(300));
    run.terminate();

    let store = cst_store::Store::open(&home.url()).await.unwrap();
    let controls: Vec<String> = store.journal_controls(&run_id).await.unwrap().into_iter().map(|c| c.command).collect();
    assert_eq!(controls, ["reduce-only", "flatten"]);
    let orders = store.journal_orders(&run_id).await.unwrap();
    let late_buys = orders.iter().filter(|o| o.side == "buy" && o.decided_ns > reduced_from).count();
    assert_eq!(late_buys, 0, "no entry after reduce-only");
}

//! `cst run` end to end on real data: sma-cross over one year of Kraken XBT/USD hourly candles
//! replayed from the embedded store through the supervised agents gives exactly the positions,
//! fees and equity of `cst backtest` on the same candles (difference 0).
#![allow(clippy::unwrap_used)]

mod run_support;

use run_support::{API_TOKEN, Home, backtest, http_get, journal, path_of};
use rust_decimal::Decimal;
use std::time::Duration;

fn dec(v: &serde_json::Value) -> Decimal {
    v.as_str().map(|s| s.parse().unwrap()).unwrap_or_else(|| v.to_string().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_run_on_real_xbt_hourly_equals_backtest_exactly() {
    let home = Home::sqlite();
    home.import_xbt();
    let mut run = home.spawn_run("0");
    let addr = run.api_addr();
    let run_id = run.run_id();
    let done = run.wait_line("replay finished", Duration::from_secs(300));
    assert!(done.contains("8757 events"), "{done}");
    // The process still runs after the replay; its journal is read while it serves.
    assert!(run.child.try_wait().unwrap().is_none(), "cst run must keep running after the replay");
    let j = journal(&home.url(), &run_id).await;
    // The API serves the same state: positions, risk and agents, behind the token.
    assert_eq!(http_get(&addr, "/api/v1/positions", None).0, 401);
    let (code, body) = http_get(&addr, "/api/v1/snapshot", Some(API_TOKEN));
    assert_eq!(code, 200, "{body}");
    let snap: serde_json::Value = serde_json::from_str(&body).unwrap();
    let api_equity: Decimal = dec(&snap["overview"]["equity"]);
    assert_eq!(api_equity, j.risk.as_ref().unwrap().equity, "API equity equals the journal");
    assert_eq!(snap["counters"]["fills"].as_u64().unwrap() as usize, j.fills.len());
    let agents: Vec<&str> = snap["agents"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(agents, ["api", "engine", "market-data", "persistence"]);
    assert_eq!(http_get(&addr, "/health", None).0, 200);
    run.terminate();

    let report = backtest(&home, &path_of(&home, "report"));
    let risk = j.risk.clone().unwrap();
    assert_eq!(risk.equity, dec(&report["final_equity"]), "final equity");
    let fees: Decimal = j.fills.iter().map(|f| f.fee).sum();
    assert_eq!(fees, dec(&report["fees_paid"]), "fees paid");
    assert_eq!(j.orders.len() as u64, report["counters"]["orders"].as_u64().unwrap(), "orders");
    assert_eq!(j.fills.len() as u64, report["counters"]["fills"].as_u64().unwrap(), "fills");
    assert_eq!(risk.kill_level, report["risk"]["kill_level"].as_str().unwrap(), "kill switch");
    // The ledger journal is complete: replaying its deltas from the starting cash gives the
    // final balances, and the position row equals the sum of the fills.
    let usd: Decimal = j.ledger.iter().filter(|l| l.asset == "USD").map(|l| l.delta).sum();
    let usd_last = j.ledger.iter().rev().find(|l| l.asset == "USD").unwrap().balance;
    assert_eq!(Decimal::from(10_000) + usd, usd_last);
    let held: Decimal = j.fills.iter().map(|f| if f.side == "buy" { f.qty } else { -f.qty }).sum();
    assert_eq!(j.positions[0].qty, held);
    assert!(j.orders.len() > 100, "sma-cross trades through 2019: {} orders", j.orders.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_of_a_kraken_ohlcvt_file_equals_backtest_of_the_same_file() {
    let home = Home::sqlite();
    let file = cst_testdata::path("kraken/ohlcvt/intraday-2023/q1-btc/XBTUSD_60.csv").display().to_string();
    let common = ["--pairs", "XBT/USD", "--interval", "1h", "--strategy", "sma-cross"];
    let mut args: Vec<String> = ["run", "--replay", &file, "--listen", "127.0.0.1:0", "--redis", ""]
        .iter()
        .chain(&common)
        .map(|s| s.to_string())
        .collect();
    args.extend(["--run-id", "q1-file"].map(String::from));
    let mut run = home.spawn(&args);
    assert!(run.wait_line("replay finished", Duration::from_secs(300)).contains("2160 events"));
    run.terminate();
    let j = journal(&home.url(), "q1-file").await;

    let report_dir = path_of(&home, "report");
    let out = home
        .cmd()
        .args(["backtest", "--input", &file, "--report", report_dir.to_str().unwrap()])
        .args(common)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(j.risk.unwrap().equity, dec(&report["final_equity"]));
    assert_eq!(j.fills.len() as u64, report["counters"]["fills"].as_u64().unwrap());
    assert!(!j.fills.is_empty());
}

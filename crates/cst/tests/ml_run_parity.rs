//! `cst run --strategy ml-ensemble` builds the same warmed-up strategy as `cst backtest`: a paper
//! replay of real Kraken 15m candles through the supervised agents journals exactly the orders,
//! fills, fees and equity of the backtest over the same candles.
#![allow(clippy::unwrap_used)]

mod run_support;

use run_support::{Home, journal, path_of};
use rust_decimal::Decimal;
use std::time::Duration;

const PAIRS: &str = "XBT/USD,ETH/USD";
const RANGE: [&str; 4] = ["--from", "2023-05-01", "--to", "2023-05-20"];

fn dec(v: &serde_json::Value) -> Decimal {
    v.as_str().map(|s| s.parse().unwrap()).unwrap_or_else(|| v.to_string().parse().unwrap())
}

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_run_of_ml_ensemble_equals_its_backtest_exactly() {
    let home = Home::sqlite();
    let dir = cst_testdata::shared_data_dir().join("kraken/ohlcvt/intraday-2023/h1-15m");
    for f in ["XBTUSD_15_2023H1_train.csv.gz", "ETHUSD_15_2023H1_train.csv.gz"] {
        ok(home.cmd().args(["data", "import"]).arg(dir.join(f)).output().unwrap());
    }
    // Gross 4-hour direction (zero-fee labels), calibrated on the weeks before its conformal block:
    // a model whose gate passes signals in May 2023 (the default out-of-fold calibrator, and the
    // online correction, state no 0.80 there).
    let out = ok(home
        .cmd()
        .args(["train", "--pairs", PAIRS, "--interval", "15m", "--horizons", "16", "--from", "2023-01-01"])
        .args(["--to", "2023-05-01", "--size", "small", "--folds", "4", "--taker-fee-pct", "0", "--json"])
        .args(["--calibrate-on", "block"])
        .output()
        .unwrap());
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let model = v["model_id"].as_str().unwrap().to_string();
    let common: Vec<String> = ["--pairs", PAIRS, "--interval", "15m", "--strategy", "ml-ensemble", "--model", &model]
        .iter()
        .chain(&RANGE)
        .map(|s| s.to_string())
        .collect();

    let mut args: Vec<String> = ["run", "--replay-store", "--listen", "127.0.0.1:0", "--redis", "", "--run-id", "ml"]
        .map(String::from)
        .to_vec();
    args.extend(common.iter().cloned());
    let mut run = home.spawn(&args);
    let done = run.wait_line("replay finished", Duration::from_secs(300));
    run.terminate();
    let j = journal(&home.url(), "ml").await;

    let report_dir = path_of(&home, "report");
    ok(home.cmd().arg("backtest").args(&common).arg("--report").arg(&report_dir).output().unwrap());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap()).unwrap();
    assert!(report["ml_gate"]["passed"].as_u64().unwrap() > 0, "{}", report["ml_gate"]);
    assert!(!j.orders.is_empty(), "the run traded: {done}");
    assert_eq!(j.orders.len() as u64, report["counters"]["orders"].as_u64().unwrap(), "orders");
    assert_eq!(j.fills.len() as u64, report["counters"]["fills"].as_u64().unwrap(), "fills");
    let fees: Decimal = j.fills.iter().map(|f| f.fee).sum();
    assert_eq!(fees, dec(&report["fees_paid"]), "fees paid");
    assert_eq!(j.risk.unwrap().equity, dec(&report["final_equity"]), "final equity");
}

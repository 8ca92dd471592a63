//! `cst run --replay FILE` on recorded WebSocket files: trades become candles of the complete
//! intervals only, through `cst_core::aggregate`.
//!
//! - The real 2021 cryptofeed trade capture holds 30 seconds: no minute is complete, and the
//!   run says so (which trades and partial intervals it dropped) instead of inventing a bar.
//! - Kraken's 1,000 real XBT/USDT trades of 2025-11-10 (REST capture, contiguous trade ids, so
//!   nothing is missing between the first and the last) written with our recorder as v2
//!   `trade` frames, each recorded at its own trade time, so the recording claims exactly the
//!   coverage the trades prove. The run's bars are the aggregate of those trades, which are
//!   also Kraken's own OHLC candles for those minutes.
#![allow(clippy::unwrap_used)]

mod run_support;

use cst_core::aggregate::{aggregate_trades, fully_covered_buckets};
use cst_core::interval::Interval;
use cst_kraken::rest::public::{parse_ohlc, parse_trades};
use cst_kraken::ws::Protocol;
use cst_kraken::ws::recorder::{Direction, Recorder};
use run_support::{API_TOKEN, Home, http_get};
use std::time::Duration;

#[test]
fn the_30_second_2021_capture_has_no_complete_minute_and_the_run_says_so() {
    let home = Home::sqlite();
    let file = cst_testdata::path("kraken/ws-v1-capture-2021/KRAKEN.ws.48.0.txt.gz");
    let out = home
        .cmd()
        .args(["run", "--replay"])
        .arg(&file)
        .args(["--pairs", "XMR/USD", "--interval", "1m", "--strategy", "sma-cross", "--redis", ""])
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("recording 2021-04-17T16:48:52.935018Z → 2021-04-17T16:49:22.660873Z, 10 trades"),
        "{stdout}"
    );
    assert!(
        stdout.contains("XMR/USD: 0 trades in 0 complete 1m intervals → 0 bars; partial edge intervals dropped: 2021-04-17T16:49:00Z (4 trades)"),
        "{stdout}"
    );
    assert!(stderr.contains("no complete 1m interval with trades"), "{stderr}");
}

/// Kraken's real trades as a recording in our recorder's format.
fn recording_of_rest_trades(path: &std::path::Path) -> Vec<cst_core::trade::Trade> {
    let page = parse_trades(&cst_testdata::read_text("kraken/rest-capture-2025/spot/http_trades.json")).unwrap();
    let trades: Vec<_> = page.trades.into_iter().map(|p| p.trade).collect();
    let source = "kraken/rest-capture-2025/spot/http_trades.json (REST trades as v2 trade frames)";
    let mut rec = Recorder::new(Vec::new(), Protocol::V2, source).unwrap();
    let first_ns = trades[0].time.as_nanos();
    rec.record(Direction::Connected, first_ns, None, source.as_bytes()).unwrap();
    for t in &trades {
        let side = if t.side == cst_core::trade::Side::Buy { "buy" } else { "sell" };
        let frame = format!(
            r#"{{"channel":"trade","type":"update","data":[{{"symbol":"BTC/USDT","side":"{side}","price":{},"qty":{},"ord_type":"limit","trade_id":{},"timestamp":"{}"}}]}}"#,
            t.price.value(),
            t.qty.value(),
            t.trade_id.unwrap(),
            t.time.to_rfc3339()
        );
        let ns = t.time.as_nanos();
        rec.record(Direction::Received, ns, Some(ns), frame.as_bytes()).unwrap();
    }
    std::fs::write(path, rec.into_inner()).unwrap();
    trades
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_real_trades_replay_as_their_aggregate_candles_and_the_run_serves_its_api() {
    let home = Home::sqlite();
    let file = home.dir.path().join("xbtusdt-trades.rec");
    let trades = recording_of_rest_trades(&file);
    let (from, to) = fully_covered_buckets(&trades, Interval::M1).unwrap();
    let expected: Vec<_> = aggregate_trades(&trades, Interval::M1, 1)
        .unwrap()
        .into_iter()
        .map(|c| c.row)
        .filter(|r| r.time >= from && r.time < to)
        .collect();
    // The same minutes as Kraken's own OHLC (its no-trade minutes have no candle here).
    let kraken: Vec<_> = parse_ohlc(&cst_testdata::read_text("kraken/rest-capture-2025/spot/http_ohlc.json"))
        .unwrap()
        .bars
        .into_iter()
        .map(|b| b.row)
        .filter(|r| r.time >= from && r.time < to && r.trades > 0)
        .collect();
    assert_eq!(expected, kraken);
    let used: usize = expected.iter().map(|r| r.trades as usize).sum();
    let intervals = ((to - from) / 60) as usize;

    let args: Vec<String> = ["run", "--replay", file.to_str().unwrap(), "--pairs", "XBT/USDT", "--interval", "1m"]
        .into_iter()
        .chain(["--strategy", "sma-cross", "--listen", "127.0.0.1:0", "--redis", "", "--run-id", "rec-1"])
        .map(String::from)
        .collect();
    let mut run = home.spawn(&args);
    let addr = run.api_addr();
    let line = run.wait_line("XBT/USDT: ", Duration::from_secs(60));
    assert!(
        line.starts_with(&format!(
            "XBT/USDT: {used} trades in {intervals} complete 1m intervals → {} bars; partial edge intervals dropped: 2025-11-10T17:23:00Z (",
            expected.len()
        )),
        "{line}"
    );
    assert!(line.contains(", 2025-11-11T00:13:00Z ("), "{line}");
    let done = run.wait_line("replay finished", Duration::from_secs(120));
    assert!(done.contains(&format!("{} events", expected.len())), "{done}");
    // The API publishes on its own beat: wait (bounded) for the snapshot after the last bar.
    let last_close = cst_core::time::Timestamp::from_secs(expected.last().unwrap().time + 60).unwrap().to_rfc3339();
    let mut as_of = serde_json::Value::Null;
    for _ in 0..100 {
        let (code, body) = http_get(&addr, "/api/v1/snapshot", Some(API_TOKEN));
        assert_eq!(code, 200, "{body}");
        as_of = serde_json::from_str::<serde_json::Value>(&body).unwrap()["as_of"].clone();
        if as_of == last_close.as_str() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(as_of, last_close.as_str(), "the engine's last bar closes with the last complete minute");
    run.terminate();
}

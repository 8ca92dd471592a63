//! `sync`: Kraken's OHLC window plus trade-built history before it, through the real client
//! against a local server replaying the recorded 2025 session. The OHLC window is served from
//! 20:00 on (Kraken's real candles, the earlier ones withheld), so the history before it must be
//! rebuilt from trades, and must equal the withheld candles exactly.

mod support;

use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::quality::Verdict;
use cst_kraken::rest::RestClient;
use cst_kraken::rest::public::parse_ohlc;
use cst_kraken::sync::{SyncError, SyncRequest, merge, sync_pair};
use serde_json::Value;
use std::collections::BTreeMap;
use support::{Replay, Reply, query_pairs};

const CAPTURE: &str = "kraken/rest-capture-2025/spot";
const WINDOW_START: i64 = 1_762_804_800; // 2025-11-10 20:00 UTC
const SINCE: i64 = 1_762_795_440; // 17:24, the first minute the recorded trades fully cover
const NOW: i64 = 1_762_820_224; // the session's server time, 00:17:04

fn ohlc_from(start: i64) -> String {
    let mut v: Value =
        serde_json::from_str(&cst_testdata::read_text(&format!("{CAPTURE}/http_ohlc.json"))).expect("json");
    let rows = v["result"]["XBTUSDT"].as_array_mut().expect("rows");
    rows.retain(|r| r[0].as_i64().is_some_and(|t| t >= start));
    v.to_string()
}

fn kraken_rows() -> BTreeMap<i64, CandleRow> {
    let page = parse_ohlc(&cst_testdata::read_text(&format!("{CAPTURE}/http_ohlc.json"))).expect("ohlc");
    page.bars.into_iter().map(|b| (b.row.time, b.row)).collect()
}

async fn replay_session() -> Replay {
    let replay = Replay::start().await;
    replay.route("/0/public/OHLC", vec![Reply::ok(ohlc_from(WINDOW_START))]);
    let empty = r#"{"error":[],"result":{"XBTUSDT":[],"last":"1762820035982277754"}}"#;
    replay.route(
        "/0/public/Trades",
        vec![Reply::ok(cst_testdata::read_text(&format!("{CAPTURE}/http_trades.json"))), Reply::ok(empty)],
    );
    replay
}

fn request(since: Option<i64>) -> SyncRequest {
    SyncRequest {
        pair: "XBT/USDT".parse::<Pair>().expect("pair"),
        interval: Interval::M1,
        since_secs: since,
        max_trade_pages: 10,
    }
}

#[tokio::test]
async fn history_before_the_ohlc_window_is_rebuilt_from_trades_exactly() {
    let replay = replay_session().await;
    let client = RestClient::new(replay.config(), None).expect("client");
    let out = sync_pair(&client, &request(Some(SINCE)), NOW).await.expect("sync");
    let kraken = kraken_rows();
    let expected_history: Vec<&CandleRow> =
        kraken.range(SINCE..WINDOW_START).map(|(_, r)| r).filter(|r| r.trades > 0).collect();
    assert!(expected_history.len() > 50);
    assert_eq!(out.from_trades, expected_history.len());
    for (ours, theirs) in out.rows.iter().zip(&expected_history) {
        assert_eq!(ours, *theirs, "trade-built minute {}", ours.time);
    }
    // Every trade-built minute inside the window (up to the last trade's minute, 00:13) was
    // compared with Kraken's candle and agreed.
    let last_trade_minute = 1_762_819_980;
    let overlap = kraken.range(WINDOW_START..last_trade_minute).filter(|(_, r)| r.trades > 0).count();
    assert_eq!(out.overlap_compared, overlap);
    assert_eq!(out.dropped_open, 1, "00:17 was still open at 00:17:04");
    let window: Vec<&CandleRow> =
        kraken.range(WINDOW_START..NOW - 60).map(|(_, r)| r).filter(|r| r.trades > 0).collect();
    assert_eq!(out.from_ohlc, window.len());
    assert_eq!(out.rows.len(), out.from_trades + out.from_ohlc);
    assert!(out.rows.windows(2).all(|w| w[0].time < w[1].time), "ascending, no duplicates");
    assert!(out.rows.iter().all(|r| r.trades > 0), "no invented zero-volume candles");
    assert!(
        matches!(out.report.verdict, Verdict::Warn(_)),
        "gaps of no-trade minutes are reported: {:?}",
        out.report.verdict
    );
    assert_eq!(out.trade_pages, 2);
    let trade_queries: Vec<String> =
        replay.requests_to("/0/public/Trades").iter().map(|r| query_pairs(&r.query)["since"].clone()).collect();
    assert_eq!(trade_queries, [format!("{SINCE}000000000"), "1762820035982277754".to_string()]);
}

#[tokio::test]
async fn without_since_only_the_ohlc_window_is_stored() {
    let replay = replay_session().await;
    let client = RestClient::new(replay.config(), None).expect("client");
    let out = sync_pair(&client, &request(None), NOW).await.expect("sync");
    assert_eq!(out.from_trades, 0);
    assert!(replay.requests_to("/0/public/Trades").is_empty());
    assert_eq!(
        out.rows.first().map(|r| r.time),
        kraken_rows().range(WINDOW_START..).find(|(_, r)| r.trades > 0).map(|(t, _)| *t)
    );
    assert_eq!(query_pairs(&replay.requests_to("/0/public/OHLC")[0].query)["pair"], "XBTUSDT");
}

#[test]
fn a_trade_built_candle_missing_from_krakens_ohlc_fails_the_sync() {
    let kraken = kraken_rows();
    let traded: Vec<CandleRow> = kraken.values().filter(|r| r.trades > 0 && r.time >= WINDOW_START).cloned().collect();
    let built: BTreeMap<i64, CandleRow> = traded.iter().take(3).map(|r| (r.time, r.clone())).collect();
    assert!(merge(&traded, Some(WINDOW_START), &built).is_ok());
    let missing_one: Vec<CandleRow> = traded.iter().skip(1).cloned().collect();
    let err = merge(&missing_one, Some(WINDOW_START), &built).expect_err("disagreement");
    assert!(matches!(err, SyncError::Disagreement { time, .. } if time == traded[0].time), "{err}");
}

#[test]
fn krakens_last_ohlc_entry_is_never_stored_even_when_the_local_clock_is_far_ahead() {
    let page = parse_ohlc(&cst_testdata::read_text(&format!("{CAPTURE}/http_ohlc.json"))).expect("ohlc");
    let far_future = NOW + 365 * 86_400;
    let (rows, no_trade, open) = cst_kraken::sync::closed_traded_rows(&page, Interval::M1, far_future);
    assert_eq!(open, 1);
    let last = page.bars.last().expect("bars").row.time;
    assert!(rows.iter().all(|r| r.time < last));
    assert_eq!(rows.len() + no_trade + open, page.bars.len());
}

//! `cst run` on the live feed, end to end, against local servers replaying real Kraken data:
//! a WebSocket server speaking Kraken's v2 `ohlc` channel whose candles are Kraken's real
//! XBT/USDT 1-minute candles of 2025-11-10 (REST capture; minutes without trades are not sent,
//! as Kraken's channel omits them), and an HTTP server answering REST `OHLC` from the same
//! capture for the backfill. The connection is dropped mid-stream and later goes silent.
#![allow(clippy::unwrap_used)]

mod run_support;

use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::time::Timestamp;
use futures_util::{SinkExt, StreamExt};
use run_support::{API_TOKEN, Home, http_get, journal};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const OHLC: &str = "kraken/rest-capture-2025/spot/http_ohlc.json";
/// Last candle index (in the traded list) sent before the connection drops.
const DROP_AT: usize = 50;
/// Last candle index closed while disconnected (only the REST backfill has D+1..=E).
const MISSED_UNTIL: usize = 80;
/// Last candle index sent at all.
const LAST: usize = 120;

/// The capture's rows `[time, o, h, l, c, vwap, volume, count]` as JSON values.
fn capture_rows() -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(&cst_testdata::read_text(OHLC)).unwrap();
    v["result"]["XBTUSDT"].as_array().unwrap().clone()
}

/// The minutes with trades: what Kraken's `ohlc` channel sends.
fn traded_rows() -> Vec<serde_json::Value> {
    capture_rows().into_iter().filter(|r| r[7].as_i64().unwrap() > 0).collect()
}

fn as_candle(r: &serde_json::Value) -> CandleRow {
    let d = |i: usize| r[i].as_str().unwrap().parse().unwrap();
    CandleRow {
        time: r[0].as_i64().unwrap(),
        open: d(1),
        high: d(2),
        low: d(3),
        close: d(4),
        volume: d(6),
        trades: r[7].as_i64().unwrap(),
    }
}

fn rfc3339(secs: i64) -> String {
    Timestamp::from_secs(secs).unwrap().to_rfc3339()
}

/// A v2 `ohlc` message carrying real candles, numbers printed exactly as Kraken's REST gave them;
/// the message timestamp is the end of its last candle.
fn ohlc_frame(kind: &str, rows: &[serde_json::Value]) -> String {
    let data: Vec<String> = rows
        .iter()
        .map(|r| {
            let (t, s) = (r[0].as_i64().unwrap(), |i: usize| r[i].as_str().unwrap().to_string());
            format!(
                r#"{{"symbol":"BTC/USDT","open":{},"high":{},"low":{},"close":{},"trades":{},"volume":{},"vwap":{},"interval_begin":"{}","interval":1,"timestamp":"{}"}}"#,
                s(1),
                s(2),
                s(3),
                s(4),
                r[7],
                s(6),
                s(5),
                rfc3339(t),
                rfc3339(t + 60)
            )
        })
        .collect();
    let end = rows.last().unwrap()[0].as_i64().unwrap() + 60;
    format!(r#"{{"channel":"ohlc","type":"{kind}","timestamp":"{}","data":[{}]}}"#, rfc3339(end), data.join(","))
}

const ACK: &str = r#"{"method":"subscribe","result":{"channel":"ohlc","symbol":"BTC/USDT","interval":1,"snapshot":true},"success":true,"time_in":"2025-11-10T12:00:00.000000Z","time_out":"2025-11-10T12:00:00.000100Z","req_id":1}"#;

/// What each connection sends, in order.
fn script(connection: usize, t: &[serde_json::Value]) -> Vec<String> {
    let update = |r: &serde_json::Value| ohlc_frame("update", std::slice::from_ref(r));
    let mut out = vec![ACK.to_string()];
    match connection {
        1 => {
            out.push(ohlc_frame("snapshot", &t[0..3]));
            out.extend(t[3..=10].iter().map(update));
            out.push(update(&t[9])); // a repeat of a final candle: a duplicate
            out.extend(t[11..=DROP_AT].iter().map(update));
            out.push(update(&t[DROP_AT])); // Kraken resends the open candle
        }
        2 => {
            // The snapshot overlaps the backfill by two candles.
            out.push(ohlc_frame("snapshot", &t[MISSED_UNTIL - 1..=MISSED_UNTIL + 1]));
            out.extend(t[MISSED_UNTIL + 2..=LAST].iter().map(update));
        }
        _ => out.push(ohlc_frame("snapshot", &t[LAST..=LAST])),
    }
    out
}

struct WsServer {
    url: String,
    connections: Arc<AtomicUsize>,
    silent: Arc<AtomicBool>,
}

/// Connection `n`'s frames, and whether the connection is dropped after them.
type Script = fn(usize, &[serde_json::Value]) -> (Vec<String>, bool);

/// The drop-and-go-silent scenario: connection 1 is dropped after its frames.
fn dropping(n: usize, t: &[serde_json::Value]) -> (Vec<String>, bool) {
    (script(n, t), n == 1)
}

/// Serves `script`; a connection that is not dropped keeps sending Kraken's heartbeat (the
/// second one only until `silent` is set).
async fn ws_server(t: Vec<serde_json::Value>, script: Script) -> WsServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (connections, silent) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let heartbeat = cst_testdata::read_text("kraken/api-examples/ws-v2-docs/heartbeat.json");
    let (c, s) = (connections.clone(), silent.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            let (t, s, heartbeat) = (t.clone(), s.clone(), heartbeat.clone());
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                let Some(Ok(Message::Text(sub))) = ws.next().await else { return };
                assert!(
                    sub.contains(r#""channel":"ohlc""#) && sub.contains("BTC/USDT") && sub.contains(r#""interval":1"#)
                );
                let (frames, drop_after) = script(n, &t);
                for frame in frames {
                    if ws.send(Message::text(frame)).await.is_err() {
                        return;
                    }
                }
                if drop_after {
                    return; // dropped without a close frame
                }
                loop {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    if n == 2 && s.load(Ordering::SeqCst) {
                        continue;
                    }
                    if ws.send(Message::text(heartbeat.clone())).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    WsServer { url, connections, silent }
}

/// REST `OHLC` as Kraken answers it while candle `MISSED_UNTIL + 1` is open: every minute
/// after `since` (no-trade minutes included), the open one last.
fn rest_server(open_time: i64) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let since: i64 = first
                .split(['?', '&', ' '])
                .find_map(|p| p.strip_prefix("since="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let body = if first.contains("/0/public/OHLC") {
                let rows: Vec<serde_json::Value> = capture_rows()
                    .into_iter()
                    .filter(|r| (since + 1..=open_time).contains(&r[0].as_i64().unwrap()))
                    .collect();
                let last = rows.iter().rev().nth(1).map_or(since, |r| r[0].as_i64().unwrap());
                serde_json::json!({"error": [], "result": {"XBTUSDT": rows, "last": last}}).to_string()
            } else {
                r#"{"error":["EGeneral:Unknown method"]}"#.to_string()
            };
            let _ =
                write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            let _ = stream.read(&mut [0u8; 1]);
        }
    });
    url
}

fn agent<'a>(agents: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    agents["items"].as_array().unwrap().iter().find(|a| a["name"] == name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_bars_equal_the_real_candles_across_a_dropped_connection_with_gaps_reported() {
    let t = traded_rows();
    let ws = ws_server(t.clone(), dropping).await;
    let rest = rest_server(t[MISSED_UNTIL + 1][0].as_i64().unwrap());
    let home = Home::sqlite();
    let args: Vec<String> = [
        "run",
        "--pairs",
        "XBT/USDT",
        "--interval",
        "1m",
        "--strategy",
        "sma-cross",
        "--listen",
        "127.0.0.1:0",
        "--redis",
        "",
        "--run-id",
        "live-1",
        "--ws-url",
        &ws.url,
        "--rest-url",
        &rest,
        "--feed-grace-secs",
        "2",
        "--feed-stale-secs",
        "2",
    ]
    .map(String::from)
    .to_vec();
    let mut run = home.spawn(&args);
    let addr = run.api_addr();
    let expected: Vec<CandleRow> = t[..=LAST].iter().map(as_candle).collect();
    let done = run.wait_line(&format!("live: {} bars", expected.len()), Duration::from_secs(120));

    // Gaps: the real no-trade minutes inside the range, computed here from the capture.
    let (first, last) = (expected[0].time, expected[LAST].time);
    let steps: Vec<i64> = expected.windows(2).map(|w| (w[1].time - w[0].time) / 60 - 1).collect();
    let gaps = steps.iter().filter(|m| **m > 0).count();
    let missing: i64 = steps.iter().sum();
    let zero_minutes = capture_rows()
        .iter()
        .filter(|r| (first..=last).contains(&r[0].as_i64().unwrap()) && r[7].as_i64().unwrap() == 0)
        .count() as i64;
    assert_eq!(missing, zero_minutes, "the only missing minutes are Kraken's no-trade minutes");
    assert!(gaps > 0);
    assert!(done.contains(&format!("{gaps} gaps ({missing} missing intervals)")), "{done}");
    let backfilled = MISSED_UNTIL - DROP_AT + 1;
    for part in ["1 duplicates", "2 resent", "0 revisions", "0 out of order", "0 rejected", "connection 2"] {
        assert!(done.contains(part), "{part:?} in {done}");
    }
    assert!(done.contains(&format!("{backfilled} backfilled")), "{done}");
    let (_, metrics) = http_get(&addr, "/metrics", None);
    for line in [
        format!("cst_feed_candle_anomalies_total{{kind=\"gap\"}} {gaps}"),
        format!("cst_feed_candle_anomalies_total{{kind=\"missing_interval\"}} {missing}"),
        "cst_feed_candle_anomalies_total{kind=\"duplicate\"} 1".to_string(),
        "cst_feed_connected{feed=\"kraken-ws\"} 1".to_string(),
        "cst_agent_restarts_total{agent=\"market-data\"} 1".to_string(),
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line:?} in {metrics}");
    }
    assert!(metrics.contains("cst_feed_messages_total{pair=\"XBT/USDT\",channel=\"ohlc\"}"), "{metrics}");

    // The bars: stored (before the engine saw them) exactly as Kraken's candles, each once, and
    // the engine journaled exactly that many events, the last at the last candle's close.
    let store = cst_store::Store::open(&home.url()).await.unwrap();
    let pair: Pair = "XBT/USDT".parse().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.candles(&pair, Interval::M1, None, None).await.unwrap(), expected);
    let journaled = store.run("live-1").await.unwrap().unwrap();
    assert_eq!(journaled.events, expected.len() as i64);
    assert_eq!(journaled.last_event_ns, (last + 60) * 1_000_000_000);
    let (code, agents) = http_get(&addr, "/api/v1/agents", Some(API_TOKEN));
    assert_eq!(code, 200, "{agents}");
    let agents: serde_json::Value = serde_json::from_str(&agents).unwrap();
    assert_eq!(agent(&agents, "market-data")["restarts"], 1, "one reconnect after the drop: {agents}");

    // Silence (no heartbeat): degraded and stale, then a reconnect.
    ws.silent.store(true, Ordering::SeqCst);
    let mut stale = serde_json::Value::Null;
    for _ in 0..100 {
        let (_, body) = http_get(&addr, "/api/v1/agents", Some(API_TOKEN));
        let agents: serde_json::Value = serde_json::from_str(&body).unwrap();
        if agent(&agents, "market-data")["health"] == "degraded" {
            stale = agent(&agents, "market-data").clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stale["last_error"].as_str().unwrap_or("").contains("stale feed"), "{stale}");
    run.wait_line("(connection 3)", Duration::from_secs(30));
    assert!(ws.connections.load(Ordering::SeqCst) >= 3);
    run.terminate();
    // Nothing new was invented while stale or after the reconnect.
    assert_eq!(store.candles(&pair, Interval::M1, None, None).await.unwrap(), expected);
    let positions = store.journal_positions("live-1").await.unwrap();

    // A restart of the process rebuilds the engine from the stored bars, then resumes the feed
    // after the last one: nothing is journaled twice, nothing is stored twice.
    let mut again = home.spawn(&args);
    let rebuilt = again.wait_line("stored bars to rebuild from", Duration::from_secs(60));
    assert!(rebuilt.contains(&format!(": {} stored bars", expected.len())), "{rebuilt}");
    again.wait_line(&format!("start #2, {} events journaled", expected.len()), Duration::from_secs(60));
    let addr = again.api_addr();
    again.wait_line("(connection 1)", Duration::from_secs(30));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, body) = http_get(&addr, "/api/v1/snapshot", Some(API_TOKEN));
    let snap: serde_json::Value = serde_json::from_str(&body).unwrap();
    let risk = store.journal_risk("live-1").await.unwrap().unwrap();
    let equity: rust_decimal::Decimal = snap["overview"]["equity"].as_str().unwrap().parse().unwrap();
    assert_eq!(equity, risk.equity, "the rebuilt engine holds the journaled equity");
    assert_eq!(snap["as_of"], rfc3339(last + 60));
    again.terminate();
    let journaled = store.run("live-1").await.unwrap().unwrap();
    assert_eq!((journaled.events, journaled.starts), (expected.len() as i64, 2));
    assert_eq!(store.journal_positions("live-1").await.unwrap(), positions);
    assert_eq!(store.candles(&pair, Interval::M1, None, None).await.unwrap(), expected);
}

/// The crash scenario: connection 1 (first process) sends candles 0..=60 and stays open;
/// connection 2 (the restarted process) starts at candle 69, the REST backfill has the rest.
fn crash_then_resume(n: usize, t: &[serde_json::Value]) -> (Vec<String>, bool) {
    let update = |r: &serde_json::Value| ohlc_frame("update", std::slice::from_ref(r));
    let mut out = vec![ACK.to_string()];
    match n {
        1 => {
            out.push(ohlc_frame("snapshot", &t[0..3]));
            out.extend(t[3..=60].iter().map(update));
        }
        _ => {
            out.push(ohlc_frame("snapshot", &t[69..=70]));
            out.extend(t[71..=90].iter().map(update));
        }
    }
    (out, false)
}

/// The same candles in one uninterrupted connection.
fn uninterrupted(_: usize, t: &[serde_json::Value]) -> (Vec<String>, bool) {
    let mut out = vec![ACK.to_string(), ohlc_frame("snapshot", &t[0..3])];
    out.extend(t[3..=90].iter().map(|r| ohlc_frame("update", std::slice::from_ref(r))));
    (out, false)
}

fn live_args(ws: &str, rest: &str) -> Vec<String> {
    [
        "run",
        "--pairs",
        "XBT/USDT",
        "--interval",
        "1m",
        "--strategy",
        "sma-cross",
        "--listen",
        "127.0.0.1:0",
        "--redis",
        "",
        "--run-id",
        "live-crash",
        "--ws-url",
        ws,
        "--rest-url",
        rest,
        "--feed-grace-secs",
        "2",
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_then_restart_rebuilds_from_stored_bars_and_matches_an_uninterrupted_run() {
    let t = traded_rows();
    let expected: Vec<CandleRow> = t[..=90].iter().map(as_candle).collect();
    let pair: Pair = "XBT/USDT".parse().unwrap();

    let home = Home::sqlite();
    let ws = ws_server(t.clone(), crash_then_resume).await;
    let rest = rest_server(t[70][0].as_i64().unwrap());
    let mut first = home.spawn(&live_args(&ws.url, &rest));
    first.wait_line("live: 60 bars", Duration::from_secs(120));
    first.child.kill().unwrap(); // SIGKILL: no graceful journal flush
    first.child.wait().unwrap();
    let mut second = home.spawn(&live_args(&ws.url, &rest));
    let rebuilt = second.wait_line("stored bars to rebuild from", Duration::from_secs(60));
    assert!(rebuilt.contains(": 60 stored bars"), "{rebuilt}");
    let done = second.wait_line("live: 91 bars", Duration::from_secs(120));
    assert!(done.contains("0 duplicates") && done.contains("10 backfilled"), "{done}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    second.terminate();
    let store = cst_store::Store::open(&home.url()).await.unwrap();
    assert_eq!(store.candles(&pair, Interval::M1, None, None).await.unwrap(), expected);
    let run = store.run("live-crash").await.unwrap().unwrap();
    assert_eq!((run.events, run.starts), (91, 2));

    let calm = Home::sqlite();
    let ws = ws_server(t.clone(), uninterrupted).await;
    let mut once = calm.spawn(&live_args(&ws.url, "http://127.0.0.1:9"));
    once.wait_line("live: 91 bars", Duration::from_secs(120));
    tokio::time::sleep(Duration::from_secs(1)).await;
    once.terminate();
    let (crashed, straight) = (journal(&home.url(), "live-crash").await, journal(&calm.url(), "live-crash").await);
    assert!(!straight.orders.is_empty(), "sma-cross trades on these 91 minutes");
    assert_eq!(crashed, straight, "orders, fills, ledger, positions and risk equal an uninterrupted run");
}

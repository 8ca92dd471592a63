//! v1 frames of the real 2021 recording and Kraken's v1 docs examples.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::ws::frame::BookMessageKind;

fn received(file: &str) -> Vec<String> {
    let text = cst_testdata::read_text(&format!("kraken/ws-v1-capture-2021/{file}"));
    text.lines()
        .filter(|l| !l.starts_with("wss://") && !l.is_empty())
        .map(|l| l.split_once(": ").expect("ts: json").1.to_string())
        .collect()
}

#[test]
fn parses_every_frame_of_the_recorded_book_stream() {
    let frames = received("KRAKEN.ws.50.0.txt.gz");
    let (mut snapshots, mut updates, mut heartbeats, mut acks) = (0, 0, 0, 0);
    for f in &frames {
        match parse(f).unwrap_or_else(|e| panic!("{e}: {f}")) {
            Frame::Book(m) if m.kind == BookMessageKind::Snapshot => snapshots += 1,
            Frame::Book(m) => {
                assert!(m.checksum.is_some(), "v1 updates carry a checksum: {f}");
                assert_eq!(m.depth, Some(1000));
                updates += 1;
            }
            Frame::Heartbeat => heartbeats += 1,
            Frame::Ack(a) => {
                assert!(a.success && a.channel == Some("book-1000"));
                acks += 1;
            }
            Frame::Status { system } => assert_eq!(system, "online"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((snapshots, heartbeats, acks), (7, 31, 7));
    assert_eq!(snapshots + updates, 3290, "7 pairs' book frames in the capture");
}

#[test]
fn snapshot_levels_keep_their_printed_text() {
    let frames = received("KRAKEN.ws.50.0.txt.gz");
    let snap = frames.iter().find(|f| f.starts_with("[1360,{\"as\"")).expect("ADA/XBT snapshot");
    let Ok(Frame::Book(m)) = parse(snap) else { panic!("book") };
    assert_eq!((m.symbol, m.kind, m.checksum), ("ADA/XBT", BookMessageKind::Snapshot, None));
    assert_eq!(m.asks[0], LevelText { price: "0.000022900", qty: "13355.87450757" });
    assert_eq!((m.asks.len(), m.bids.len()), (841, 707), "ADA/XBT had fewer than 1000 levels per side");
}

#[test]
fn update_carries_checksum_and_latest_level_time() {
    let f = r#"[992,{"b":[["354.12000000","0.00000000","1618678133.366461"]],"c":"1822697057"},"book-1000","XMR/USD"]"#;
    let Ok(Frame::Book(m)) = parse(f) else { panic!("book") };
    assert_eq!(m.checksum, Some(1_822_697_057));
    assert_eq!(m.bids, [LevelText { price: "354.12000000", qty: "0.00000000" }]);
    assert_eq!(m.exchange_ns(), Some(1_618_678_133_366_461_000));
}

#[test]
fn parses_recorded_trades_and_tickers() {
    let mut trades = 0;
    for f in received("KRAKEN.ws.48.0.txt.gz") {
        if let Frame::Trades(t) = parse(&f).unwrap_or_else(|e| panic!("{e}: {f}")) {
            assert!(t.iter().all(|t| matches!(t.side, "b" | "s")));
            trades += t.len();
        }
    }
    assert!(trades > 0);
    let mut tickers = 0;
    for f in received("KRAKEN.ws.49.0.txt.gz") {
        if let Frame::Ticker(t) = parse(&f).unwrap_or_else(|e| panic!("{e}: {f}")) {
            assert!(t[0].bid < t[0].ask || t[0].bid.len() != t[0].ask.len(), "{f}");
            tickers += 1;
        }
    }
    assert!(tickers > 0);
}

#[test]
fn parses_docs_heartbeat_and_pong() {
    let hb = cst_testdata::read_text("kraken/api-examples/ws-v1-docs/heartbeat.json");
    assert_eq!(parse(&hb), Ok(Frame::Heartbeat));
    let pong = cst_testdata::read_text("kraken/api-examples/ws-v1-docs/pong_response.json");
    assert!(matches!(parse(&pong), Ok(Frame::Pong { .. })));
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    for bad in [
        "",
        "not json",
        "[1,2]",
        "[1,{\"a\":[[\"1\"]]},\"book-10\",\"X/Y\"]",
        "{\"event\":5}",
        "[1,{},\"book-10\",\"X/Y\"]",
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn subscribe_request_matches_the_recorded_one() {
    let req = subscribe_request("book", &["XMR/USD".to_string()], Some(1000), 7);
    let v: serde_json::Value = serde_json::from_str(&req).unwrap();
    assert_eq!(v["event"], "subscribe");
    assert_eq!(v["subscription"], serde_json::json!({"name": "book", "depth": 1000}));
    let unsub: serde_json::Value = serde_json::from_str(&unsubscribe_request("book", &[], Some(10), 8)).unwrap();
    assert_eq!(unsub["event"], "unsubscribe");
}
